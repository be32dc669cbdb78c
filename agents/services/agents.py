"""Creating agents."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.contrib.auth import get_user_model
from django.db import transaction

from agents.models import AgentProfile, AgentSkill, AgentStatus, Pool, Skill


def agent_ensure(
    *,
    username: str,
    password: str,
    display_name: str,
    skills: Mapping[str, int],
    pools: Iterable[str] = ("primary",),
    region: str = "",
    chat_capacity: int = 3,
) -> AgentProfile:
    """The agent ``username`` with these skills (code -> level 1-5) and pools; made if missing, its
    password kept if it exists."""
    with transaction.atomic():
        user, created = get_user_model().objects.get_or_create(username=username)
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        profile, _ = AgentProfile.objects.update_or_create(
            user=user, defaults={"display_name": display_name, "region": region, "chat_capacity": chat_capacity}
        )
        agent_skills_set(agent=profile, skills=skills)
        profile.pools.set(Pool.objects.filter(code__in=list(pools)))
        AgentStatus.objects.get_or_create(agent=profile)
    return profile


def agent_skills_set(*, agent: AgentProfile, skills: Mapping[str, int]) -> None:
    """Replace the agent's skills by these (unknown codes are ignored; levels clamped to 1-5)."""
    by_code = {skill.code: skill for skill in Skill.objects.filter(code__in=list(skills))}
    AgentSkill.objects.filter(agent=agent).exclude(skill__code__in=list(by_code)).delete()
    for code, skill in by_code.items():
        level = min(max(int(skills[code]), 1), 5)
        AgentSkill.objects.update_or_create(agent=agent, skill=skill, defaults={"level": level})
