"""Creating agents."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import transaction

from agents.models import AgentProfile, Skill


def agent_ensure(*, username: str, password: str, display_name: str, skill_codes: Iterable[str]) -> AgentProfile:
    """The agent ``username`` with these skills; made if missing, its password kept if it exists."""
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        profile, _ = AgentProfile.objects.get_or_create(user=user, defaults={"display_name": display_name})
        profile.skills.set(Skill.objects.filter(code__in=list(skill_codes)))
    return profile
