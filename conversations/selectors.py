"""Reads of conversations: resync since a sequence number, and the customer's timeline entries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from conversations.models import Conversation, Message
from customers.models import Customer
from customers.selectors import TimelineEntry

MAX_PAGE = 500


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
    rows = Conversation.objects.filter(customer=customer).select_related("first_channel")
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
