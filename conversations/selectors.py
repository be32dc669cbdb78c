"""Reads of conversations: resync since a sequence number, and the customer's timeline entries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from callcenter.core.errors import NotFoundError
from conversations.models import Conversation, ConversationStatus, Message
from customers.models import ChannelIdentity, Customer
from customers.selectors import TimelineEntry
from customers.services.identity import surviving

MAX_PAGE = 500


def conversation_get(conversation_id: int) -> Conversation:
    found = Conversation.objects.select_related("customer", "last_channel").filter(pk=conversation_id).first()
    if found is None:
        raise NotFoundError(_("No such conversation."))
    return found


def conversation_list(*, status: str = "", limit: int = 50) -> QuerySet[Conversation]:
    """Conversations with the latest message first (open ones first when no status is asked for)."""
    rows = Conversation.objects.select_related("customer", "customer__tier", "last_channel")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("status", F("last_message_at").desc(nulls_last=True), "-pk")[: max(1, min(limit, 200))]


def conversation_current_for(*, kind: str, namespace: str, external_id: str) -> Conversation | None:
    """The open conversation of whoever holds this channel identity, else their latest, else None.

    Customer-side clients (widget, APP) find their conversation this way, never by an id they send.
    """
    identity = (
        ChannelIdentity.objects.filter(kind=kind, namespace=namespace, external_id=external_id)
        .select_related("customer")
        .first()
    )
    if identity is None:
        return None
    mine = Conversation.objects.filter(customer=surviving(identity.customer))
    return mine.filter(status=ConversationStatus.OPEN).first() or mine.order_by("-opened_at", "-pk").first()


def conversation_count() -> int:
    return Conversation.objects.count()


def messages_since(conversation: Conversation, since_seq: int = 0, limit: int = 200) -> QuerySet[Message]:
    """Messages after ``since_seq``, oldest first: what a reconnecting client missed."""
    limit = max(1, min(limit, MAX_PAGE))
    return (
        Message.objects.filter(conversation=conversation, seq__gt=max(0, since_seq))
        .select_related("channel")
        .order_by("seq")[:limit]
    )


def conversation_timeline_entries(customer: Customer, before: datetime | None, limit: int) -> Iterable[TimelineEntry]:
    # Only what the entry shows: the screen pop reads this on every accepted contact.
    rows = (
        Conversation.objects.filter(customer=customer)
        .select_related("first_channel")
        .only("id", "opened_at", "status", "topic", "last_seq", "first_channel__kind")
    )
    if before is not None:
        rows = rows.filter(opened_at__lt=before)
    for conversation in rows.order_by("-opened_at")[:limit]:
        yield TimelineEntry(
            conversation.opened_at,
            "conversation",
            conversation.pk,
            {
                "status": conversation.status,
                "channel": conversation.first_channel.kind,
                "topic": conversation.topic,
                "messages": conversation.last_seq,
            },
        )
