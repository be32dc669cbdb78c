"""An agent's answer to an offer (accept or decline), and offers that ring out (missed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import AgentState, AgentStatus
from agents.services.bootstrap import MISSED_REASON
from agents.services.states import agent_state_write
from callcenter.core.errors import ConflictError, NotFoundError
from routing import events
from routing.models import ContactStatus, Offer, OfferStatus, RoutedContact
from routing.services.lock import routing_lock
from routing.services.presence import withdraw_offers_of
from routing.services.triggers import request_round

log = structlog.get_logger(__name__)


class OfferGone(ConflictError):
    code = "offer_gone"


def _ringing_offer_of(offer_id: int, user: Any) -> Offer:
    offer = (
        Offer.objects.select_for_update(of=("self",))
        .select_related("contact__queue", "contact__customer", "agent")
        .filter(pk=offer_id, agent__user=user)
        .first()
    )
    if offer is None:  # someone else's offer is not found, not forbidden: its id tells nothing
        raise NotFoundError(_("No such offer."))
    if offer.status != OfferStatus.RINGING:
        raise OfferGone(_("This offer is no longer available."))
    return offer


def offer_accept(*, offer_id: int, user: Any, now: datetime | None = None) -> Offer:
    """The agent takes the contact: it is theirs until it ends or is transferred."""
    now = now or timezone.now()
    with transaction.atomic():
        routing_lock()
        offer = _ringing_offer_of(offer_id, user)
        if now >= offer.expires_at:
            _ring_out(offer, now)
            raise OfferGone(_("This offer timed out."))
        offer.status, offer.decided_at = OfferStatus.ACCEPTED, now
        offer.save(update_fields=["status", "decided_at"])
        contact = offer.contact
        contact.status, contact.agent, contact.assigned_at = ContactStatus.ASSIGNED, offer.agent, now
        contact.target_agent = None
        contact.save(update_fields=["status", "agent", "assigned_at", "target_agent"])
        # Longest-available routing: the agent who just took a contact goes to the back of the line.
        AgentStatus.objects.filter(agent=offer.agent).update(available_since=now)
        events.contact_assigned(contact, offer.agent.display_name, offer.agent.user_id)
        events.agent_load_changed([offer.agent_id])
    log.info("routing.offer_accepted", offer=offer.pk, contact=contact.pk, agent=offer.agent_id)
    return offer


def offer_decline(*, offer_id: int, user: Any, now: datetime | None = None) -> Offer:
    """The agent passes: the contact goes back to the queue and the next agent is offered it."""
    now = now or timezone.now()
    with transaction.atomic():
        routing_lock()
        offer = _ringing_offer_of(offer_id, user)
        offer.status, offer.decided_at = OfferStatus.DECLINED, now
        offer.save(update_fields=["status", "decided_at"])
        contact = offer.contact
        contact.status = ContactStatus.WAITING
        contact.declined_by = sorted({*contact.declined_by, offer.agent_id})
        _back_to_the_queue_if_named(contact, offer.agent_id)
        contact.save(update_fields=["status", "declined_by", "target_agent"])
        events.offer_withdrawn(offer, offer.agent.user_id, "declined")
        events.agent_load_changed([offer.agent_id])
        request_round()
    log.info("routing.offer_declined", offer=offer.pk, contact=contact.pk, agent=offer.agent_id)
    return offer


def _back_to_the_queue_if_named(contact: RoutedContact, agent_id: int) -> None:
    """A transfer to a named agent who declines or misses it goes to its queue's agents instead."""
    if contact.target_agent_id == agent_id:
        contact.target_agent = None


def _ring_out(offer: Offer, now: datetime) -> None:
    """Missed: the contact is routed again and the agent becomes not ready ("missed an offer"),
    so a walked-away agent does not keep catching contacts."""
    offer.status, offer.decided_at = OfferStatus.MISSED, now
    offer.save(update_fields=["status", "decided_at"])
    contact = offer.contact
    contact.status = ContactStatus.WAITING
    _back_to_the_queue_if_named(contact, offer.agent_id)
    contact.save(update_fields=["status", "target_agent"])
    events.offer_withdrawn(offer, offer.agent.user_id, "timeout")
    status = AgentStatus.objects.filter(agent=offer.agent).values_list("state", flat=True).first()
    if status == AgentState.AVAILABLE:
        agent_state_write(agent=offer.agent, state=AgentState.NOT_READY, reason_code=MISSED_REASON, now=now)
    if not withdraw_offers_of(offer.agent, "agent_unavailable", now):  # which tells supervisors itself
        events.agent_load_changed([offer.agent_id])
    request_round()
    log.info("routing.offer_missed", offer=offer.pk, contact=contact.pk, agent=offer.agent_id)


def offer_expire(*, offer_id: int, now: datetime | None = None) -> bool:
    """Ring an offer out if its time is up. Safe to call twice, and early (then it does nothing)."""
    now = now or timezone.now()
    if not Offer.objects.filter(pk=offer_id, status=OfferStatus.RINGING, expires_at__lte=now).exists():
        return False  # answered already (the usual case): no need to wait for the routing lock
    with transaction.atomic():
        routing_lock()
        offer = (
            Offer.objects.select_for_update(of=("self",))
            .select_related("contact", "agent")
            .filter(pk=offer_id, status=OfferStatus.RINGING, expires_at__lte=now)
            .first()
        )
        if offer is None:
            return False
        _ring_out(offer, now)
    return True


def offers_expire_overdue(*, now: datetime | None = None) -> int:
    """The sweep's net under the per-offer timers."""
    now = now or timezone.now()
    overdue = list(
        Offer.objects.filter(status=OfferStatus.RINGING, expires_at__lte=now).values_list("pk", flat=True)[:500]
    )
    return sum(offer_expire(offer_id=offer_id, now=now) for offer_id in overdue)
