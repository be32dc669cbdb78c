"""Writing an agent's chosen state. Routing orchestrates the consequences (routing.services.presence):
offers withdrawn on leaving "available", a round on entering it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents import events
from agents.models import AgentProfile, AgentState, AgentStatus, NotReadyReason

CHOOSABLE = (AgentState.AVAILABLE, AgentState.NOT_READY, AgentState.OFFLINE)


def agent_status_lock(agent: AgentProfile) -> AgentStatus:
    """The agent's status row, locked until the transaction ends (made on first use)."""
    AgentStatus.objects.get_or_create(agent=agent)
    return AgentStatus.objects.select_for_update(of=("self",)).select_related("reason").get(agent=agent)


def agent_state_write(
    *,
    agent: AgentProfile,
    state: str,
    reason_code: str = "",
    after_work_s: int = 0,
    now: datetime | None = None,
) -> tuple[AgentStatus, str]:
    """Set the state; returns the row and the state it had before. Raises ValidationError on a bad
    state or reason. The caller holds the transaction (routing takes its lock first)."""
    now = now or timezone.now()
    if state not in AgentState.values:
        raise ValidationError({"state": [_("Choose available, not ready or offline.")]})
    reason = None
    if state == AgentState.NOT_READY:
        reason = NotReadyReason.objects.filter(code=reason_code).first() if reason_code else None
        if reason_code and reason is None:
            raise ValidationError({"reason": [_("No such not-ready reason.")]})
    with transaction.atomic(savepoint=False):
        status = agent_status_lock(agent)
        before = status.state
        if before == state and status.reason_id == (reason.pk if reason else None) and state != AgentState.AFTER_WORK:
            return status, before
        status.state, status.reason, status.changed_at = state, reason, now
        status.after_work_until = now + timedelta(seconds=after_work_s) if state == AgentState.AFTER_WORK else None
        if state == AgentState.AVAILABLE and before != AgentState.AVAILABLE:
            status.available_since = now  # joins the end of the longest-available line
        status.save(update_fields=["state", "reason", "changed_at", "after_work_until", "available_since"])
        events.agent_state_changed(status)
    return status, before
