"""Agent states as routing sees them: chosen states, presence from sockets, after-contact work.

Reserved and busy are not stored anywhere to go stale: they are the live offers and the
contacts in hand. What is stored (available, not ready, after-contact work, offline) always
has a way out: offers ring out, absent agents are set offline after a grace period, and
after-contact work ends on its timer, each also caught by the per-tenant sweep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import AgentProfile, AgentState, AgentStatus
from agents.presence import presence_absent, presence_live_sockets
from agents.services.states import CHOOSABLE, agent_state_write
from callcenter.core.errors import NotFoundError
from callcenter.core.tenancy import require_tenant
from routing import events
from routing.events import offer_payload
from routing.models import ContactStatus, Offer, OfferStatus
from routing.selectors import agent_load_figures, offers_ringing_for, shown_state
from routing.services.lock import routing_lock
from routing.services.triggers import request_round

log = structlog.get_logger(__name__)


def withdraw_offers_of(agent: AgentProfile, reason: str, now: datetime) -> int:
    """Take back the agent's ringing offers: their contacts wait for the next agent."""
    withdrawn = 0
    for offer in (
        Offer.objects.select_for_update(of=("self",))
        .select_related("contact")
        .filter(agent=agent, status=OfferStatus.RINGING)
    ):
        offer.status, offer.decided_at = OfferStatus.WITHDRAWN, now
        offer.decision = {**offer.decision, "outcome": reason}
        offer.save(update_fields=["status", "decided_at", "decision"])
        offer.contact.status = ContactStatus.WAITING
        offer.contact.save(update_fields=["status"])
        events.offer_withdrawn(offer, agent.user_id, reason)
        withdrawn += 1
    if withdrawn:
        events.agent_load_changed([agent.pk])
        request_round()
    return withdrawn


def agent_of(user: Any) -> AgentProfile:
    agent = AgentProfile.objects.filter(user_id=getattr(user, "pk", None) or 0, is_active=True).first()
    if agent is None:
        raise NotFoundError(_("You are not set up as an agent."))
    return agent


def agent_state_change(
    *, agent: AgentProfile, state: str, reason_code: str = "", now: datetime | None = None
) -> AgentStatus:
    """An agent (or the system for it) chooses available, not ready (with a reason) or offline."""
    now = now or timezone.now()
    with transaction.atomic():
        routing_lock()
        status, before = agent_state_write(agent=agent, state=state, reason_code=reason_code, now=now)
        if state != AgentState.AVAILABLE:
            withdraw_offers_of(agent, "agent_unavailable", now)
        elif before != AgentState.AVAILABLE:
            request_round()
    log.info("routing.agent_state", agent=agent.pk, state=state, before=before, reason=reason_code or None)
    return status


def agent_state_choose(*, user: Any, state: str, reason_code: str = "") -> AgentStatus:
    """The signed-in agent's own choice: available, not ready (with a reason) or offline. After-
    contact work is the system's to set."""
    if state not in CHOOSABLE:
        raise ValidationError({"state": [_("Choose available, not ready or offline.")]})
    return agent_state_change(agent=agent_of(user), state=state, reason_code=reason_code)


def agent_presence_check(*, agent_id: int) -> bool:
    """Set the agent offline if none of its sockets has beaten lately. True if it was set offline."""
    agent = AgentProfile.objects.filter(pk=agent_id).first()
    if agent is None:
        return False
    state = AgentStatus.objects.filter(agent=agent).values_list("state", flat=True).first()
    if state in (None, AgentState.OFFLINE):
        return False
    if presence_live_sockets(tenant_id=require_tenant().pk, agent_id=agent_id) > 0:
        return False
    agent_state_change(agent=agent, state=AgentState.OFFLINE)
    log.info("routing.agent_gone", agent=agent_id, grace_s=settings.AGENT_OFFLINE_GRACE_S)
    return True


def agents_absent_set_offline() -> int:
    """The sweep: every agent not offline whose sockets are all gone (grace included in the timeout)."""
    ids = list(AgentStatus.objects.exclude(state=AgentState.OFFLINE).values_list("agent_id", flat=True))
    absent = presence_absent(tenant_id=require_tenant().pk, agent_ids=ids)
    return sum(agent_presence_check(agent_id=agent_id) for agent_id in absent)


def after_work_end(*, agent_id: int | None = None, now: datetime | None = None) -> int:
    """Agents whose after-contact work time is over become available again."""
    now = now or timezone.now()
    due = AgentStatus.objects.filter(state=AgentState.AFTER_WORK, after_work_until__lte=now)
    if agent_id is not None:
        due = due.filter(agent_id=agent_id)
    ended = 0
    for status in due.select_related("agent"):
        with transaction.atomic():
            routing_lock()
            fresh = AgentStatus.objects.select_for_update().get(pk=status.pk)
            if fresh.state == AgentState.AFTER_WORK and fresh.after_work_until and fresh.after_work_until <= now:
                agent_state_write(agent=status.agent, state=AgentState.AVAILABLE, now=now)
                request_round()
                ended += 1
    return ended


def agent_overview(agent: AgentProfile) -> dict[str, Any]:
    """The agent's state with its capacity in use, for its own controls and for supervisors."""
    status, _created = AgentStatus.objects.select_related("reason").get_or_create(agent=agent)
    figures = agent_load_figures([agent.pk])[agent.pk]
    return {
        "agent": agent.pk,
        "name": agent.display_name,
        "state": status.state,
        "shown_state": shown_state(status.state, ringing=figures.ringing, assigned=figures.assigned),
        "reason": status.reason.code if status.reason else None,
        "since": status.changed_at.isoformat(),
        "after_work_until": status.after_work_until.isoformat() if status.after_work_until else None,
        "capacity": agent.capacity(),
        "load": figures.load,
        "ringing": figures.ringing,
    }


def agent_desk(user: Any) -> dict[str, Any]:
    """The agent's state and ringing offers: what a desk (or a reconnecting one) needs to be right."""
    now = timezone.now()
    return {
        "agent": agent_overview(agent_of(user)),
        "offers": [offer_payload(offer, offer.contact, now) for offer in offers_ringing_for(user)],
    }
