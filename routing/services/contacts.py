"""Contacts entering and leaving queues: the routing rule that sends them, the end of a contact,
transfers to a queue or to a named agent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import AgentProfile, AgentState
from agents.services.states import agent_state_write, agent_status_lock
from callcenter.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from conversations.models import Conversation, ConversationStatus, Direction, Message, MessageKind
from routing import events
from routing.domain.rules import Facts, Hours, Match, Rule, rule_match
from routing.models import (
    LIVE_CONTACT_STATUSES,
    ContactStatus,
    HoursMode,
    Offer,
    OfferStatus,
    Queue,
    RoutedContact,
    RoutingRule,
)
from routing.selectors import media_of
from routing.services.lock import routing_lock
from routing.services.triggers import request_round

log = structlog.get_logger(__name__)

_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def guess_language(text: str) -> str:
    """``zh`` when the text has Chinese characters, ``en`` when it is Latin letters only, else ``""``."""
    if _HAN.search(text):
        return "zh"
    return "en" if _LATIN.search(text) else ""


def engine_rule(rule: RoutingRule) -> Rule:
    """A stored rule as the pure matcher's ``Rule`` (its tiers prefetched, ideally)."""
    hours = None
    if rule.hours_mode != HoursMode.ANY and rule.hours_start and rule.hours_end:
        days = frozenset(int(day) for day in rule.weekdays) if rule.weekdays else frozenset(range(7))
        hours = Hours(rule.hours_start, rule.hours_end, days)
    return Rule(
        id=rule.pk,
        queue_id=rule.queue_id,
        priority_boost=rule.priority_boost,
        tiers=frozenset(tier.code for tier in rule.tiers.all()),
        topics=frozenset(line.strip() for line in rule.topics.splitlines() if line.strip()),
        channels=frozenset(rule.channels),
        languages=frozenset(rule.languages),
        keywords=tuple(line.strip() for line in rule.keywords.splitlines() if line.strip()),
        hours=hours,
        outside_hours=rule.hours_mode == HoursMode.CLOSED,
    )


@dataclass(frozen=True)
class _RuleSet:
    rules: list[Rule]
    names: dict[int, str]
    default_queue_id: int

    @classmethod
    def active(cls) -> _RuleSet:
        """The tenant's active rules in order, every rule's name (for explanations), the default queue."""
        rules = [engine_rule(rule) for rule in RoutingRule.objects.filter(is_active=True).prefetch_related("tiers")]
        return cls(rules, dict(RoutingRule.objects.values_list("pk", "name")), _default_queue_id())

    def contact_for(self, conversation: Conversation, now: datetime) -> RoutedContact:
        """The waiting contact for a new conversation (annotated with ``first_text``), unsaved."""
        text = (getattr(conversation, "first_text", None) or "")[:2000]
        customer = conversation.customer
        facts = Facts(
            channel=conversation.first_channel.kind,
            tier=customer.tier.code if customer.tier else "",
            topic=conversation.topic,
            language=str(customer.attributes.get("language", "")) or guess_language(text),
            first_message=text,
            at=timezone.localtime(now),
        )
        match = rule_match(self.rules, facts, default_queue_id=self.default_queue_id)
        return RoutedContact(
            conversation=conversation,
            customer=customer,
            channel_kind=facts.channel,
            media=media_of(facts.channel),
            queue_id=match.queue_id,
            priority_boost=match.priority_boost,
            arrived_at=conversation.opened_at,
            rule_id=match.rule.id if match.rule else None,
            facts={
                "channel": facts.channel,
                "tier": facts.tier,
                "topic": facts.topic,
                "language": facts.language,
                "first_message": facts.first_message[:200],
            },
            explanation={"routing": self._explain(match)},
        )

    def _explain(self, match: Match) -> dict[str, Any]:
        return {
            "rule": {"id": match.rule.id, "name": self.names.get(match.rule.id, "")} if match.rule else None,
            "tried": [
                {"rule": rule_id, "name": self.names.get(rule_id, ""), "conditions": [[n, ok] for n, ok in checks]}
                for rule_id, checks in match.tried
            ],
            "queue": match.queue_id,
            "priority_boost": match.priority_boost,
        }


def _default_queue_id() -> int:
    default = Queue.objects.filter(is_default=True).values_list("pk", flat=True).first()
    if default is None:
        default = Queue.objects.order_by("-priority", "pk").values_list("pk", flat=True).first()
    if default is None:
        raise ConflictError(_("This call center has no queue yet. Add one in the admin."), code="no_queue")
    return default


def _open_with_first_text() -> QuerySet[Conversation]:
    """Open conversations with what routing needs of them, the first text the customer sent included."""
    first_text = (
        Message.objects.filter(conversation=OuterRef("pk"), direction=Direction.INBOUND, kind=MessageKind.TEXT)
        .order_by("seq")
        .values("body")[:1]
    )
    return (
        Conversation.objects.filter(status=ConversationStatus.OPEN)
        .select_related("customer__tier", "first_channel")
        .annotate(first_text=Subquery(first_text))
    )


def contact_enqueue(*, conversation_id: int, now: datetime | None = None) -> RoutedContact | None:
    """Put a new conversation in the queue its routing rule names. Safe to call twice: a
    conversation already routed (live or finished) or no longer open is left alone."""
    now = now or timezone.now()
    conversation = _open_with_first_text().filter(pk=conversation_id).first()
    if conversation is None:
        return None
    existing = RoutedContact.objects.filter(conversation=conversation).order_by("-pk").first()
    if existing is not None:
        return existing if existing.status in LIVE_CONTACT_STATUSES else None
    contact = _RuleSet.active().contact_for(conversation, now)
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:  # another worker enqueued it a moment ago
        return RoutedContact.objects.filter(conversation=conversation, status__in=LIVE_CONTACT_STATUSES).first()
    log.info("routing.contact_enqueued", contact=contact.pk, queue=contact.queue_id, rule=contact.rule_id)
    return contact


NEW_CONTACTS_PER_ROUND = 500


def contacts_enqueue_new(*, now: datetime | None = None) -> int:
    """Put every open conversation that never entered a queue into the queue its rule names, in
    one go. A routing round runs this first, under the routing lock: in a burst of new chats one
    round enqueues and offers them all, with a handful of queries instead of several per chat."""
    now = now or timezone.now()
    new = list(_open_with_first_text().filter(routed_contacts=None).order_by("opened_at")[:NEW_CONTACTS_PER_ROUND])
    if not new:
        return 0
    rule_set = _RuleSet.active()
    RoutedContact.objects.bulk_create([rule_set.contact_for(conversation, now) for conversation in new])
    log.info("routing.contacts_enqueued", count=len(new))
    return len(new)


def _withdraw_ringing(contact: RoutedContact, reason: str, now: datetime) -> list[int]:
    """Take back the contact's ringing offer; returns the agents whose load changed."""
    agents = []
    for offer in Offer.objects.filter(contact=contact, status=OfferStatus.RINGING).select_related("agent"):
        offer.status, offer.decided_at = OfferStatus.WITHDRAWN, now
        offer.decision = {**offer.decision, "outcome": reason}
        offer.save(update_fields=["status", "decided_at", "decision"])
        events.offer_withdrawn(offer, offer.agent.user_id, reason)
        agents.append(offer.agent_id)
    return agents


def contact_end(*, conversation_id: int, now: datetime | None = None) -> RoutedContact | None:
    """The conversation ended: its agent's capacity frees (after-contact work first, if the queue
    asks for it), or a contact still waiting leaves the queue."""
    now = now or timezone.now()
    with transaction.atomic():
        routing_lock()
        contact = (
            RoutedContact.objects.select_for_update(of=("self",))
            .select_related("queue", "agent")
            .filter(conversation_id=conversation_id, status__in=LIVE_CONTACT_STATUSES)
            .first()
        )
        if contact is None:
            return None
        agent = contact.agent
        if contact.status == ContactStatus.ASSIGNED:
            contact.status, contact.end_reason = ContactStatus.ENDED, "resolved"
            events.agent_load_changed([contact.agent_id] if contact.agent_id else [])
        else:
            events.agent_load_changed(_withdraw_ringing(contact, "contact_ended", now))
            contact.status, contact.end_reason = ContactStatus.ABANDONED, "resolved_before_answer"
        contact.ended_at = now
        contact.save(update_fields=["status", "end_reason", "ended_at"])
        if agent is not None and contact.status == ContactStatus.ENDED and contact.queue.after_work_seconds:
            status = agent_status_lock(agent)
            if status.state == AgentState.AVAILABLE:
                agent_state_write(
                    agent=agent, state=AgentState.AFTER_WORK, after_work_s=contact.queue.after_work_seconds, now=now
                )
                _schedule_after_work_end(agent.pk, contact.queue.after_work_seconds)
        request_round()
    return contact


def _schedule_after_work_end(agent_id: int, seconds: int) -> None:
    def send() -> None:
        from routing.tasks import end_after_work

        end_after_work.apply_async(kwargs={"agent_id": agent_id}, countdown=seconds)

    transaction.on_commit(send)


def _may_transfer(contact: RoutedContact, user: Any) -> bool:
    if getattr(user, "is_staff", False):
        return True  # supervisors and admins move any contact
    return contact.agent is not None and contact.agent.user_id == user.pk


def contact_transfer(
    *,
    conversation_id: int,
    by: Any,
    queue_id: int | None = None,
    agent_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> RoutedContact:
    """Move a conversation to another queue or to a named agent. It keeps its history, its place
    in line (the original arrival time) and its conversation; the new agent must accept."""
    now = now or timezone.now()
    if (queue_id is None) == (agent_id is None):
        raise ConflictError(_("Transfer to a queue or to an agent, not both."), code="bad_transfer")
    note = note.strip()[:500]
    with transaction.atomic():
        routing_lock()
        contact = (
            RoutedContact.objects.select_for_update(of=("self",))
            .select_related("agent", "queue", "customer")
            .filter(conversation_id=conversation_id, status__in=LIVE_CONTACT_STATUSES)
            .first()
        )
        if contact is None:
            raise NotFoundError(_("This conversation is not being routed."))
        if not _may_transfer(contact, by):
            raise PermissionDeniedError(_("Only the agent serving this conversation or a supervisor may transfer it."))
        target: dict[str, Any]
        if queue_id is not None:
            queue = Queue.objects.filter(pk=queue_id).first()
            if queue is None:
                raise NotFoundError(_("No such queue."))
            contact.queue, contact.target_agent = queue, None
            target = {"queue": queue.pk, "name": str(queue)}
        else:
            agent = AgentProfile.objects.filter(pk=agent_id or 0, is_active=True).first()
            if agent is None:
                raise NotFoundError(_("No such agent."))
            if contact.agent_id == agent.pk:
                raise ConflictError(_("This agent already has the conversation."), code="same_agent")
            contact.target_agent = agent
            target = {"agent": agent.pk, "name": agent.display_name}
        lighter = _withdraw_ringing(contact, "transferred", now)  # the agents it was ringing for
        if contact.agent_id is not None:
            lighter.append(contact.agent_id)  # and the agent who had it
        events.agent_load_changed(lighter)
        history = list(contact.explanation.get("transfers", []))
        history.append({"at": now.isoformat(), "by": by.pk, "from_agent": contact.agent_id, "to": target, "note": note})
        contact.explanation = {**contact.explanation, "transfers": history}
        contact.status, contact.agent, contact.assigned_at = ContactStatus.WAITING, None, None
        contact.transfer_note, contact.declined_by = note, []
        contact.save()
        events.conversation_transferred(contact, target)
        request_round()
    return contact
