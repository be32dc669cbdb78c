"""Reads of the agents of the current tenant."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from agents.models import AgentProfile, SeatLease, Skill


def live_leases() -> QuerySet[SeatLease]:
    cutoff = timezone.now() - timedelta(seconds=settings.SEAT_IDLE_TIMEOUT_S)
    return SeatLease.objects.filter(last_seen_at__gt=cutoff)


def seats_in_use() -> int:
    return live_leases().count()


def agent_count() -> int:
    return AgentProfile.objects.filter(is_active=True).count()


def is_agent(user: object) -> bool:
    user_id = getattr(user, "pk", None)
    return user_id is not None and AgentProfile.objects.filter(user_id=user_id, is_active=True).exists()


def skill_list() -> QuerySet[Skill]:
    return Skill.objects.all()
