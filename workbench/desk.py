"""The agent's conversation list: the contacts in the agent's hands now, newest activity first.

Three queries whatever the number of conversations (a test counts them): the contacts with
their conversation, customer and queue; the unread counts; the last message of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, F, Q
from django.utils.translation import gettext as _

from conversations.models import ConversationStatus, Direction, Message, MessageKind
from routing.models import ContactStatus, RoutedContact

PREVIEW_CHARS = 80


@dataclass(frozen=True)
class DeskConversation:
    contact: RoutedContact  # with its conversation, customer (and tier), channel and queue
    unread: int
    last_message: Message | None


def message_kind_words() -> dict[str, str]:
    """How the desk names a message that is not text, in the reader's language."""
    return {
        MessageKind.IMAGE: _("[image]"),
        MessageKind.VOICE: _("[voice message]"),
        MessageKind.VIDEO: _("[video]"),
        MessageKind.FILE: _("[file]"),
        MessageKind.EVENT: _("[event]"),
        MessageKind.CALL: _("[call]"),
    }


def message_preview(message: Message) -> str:
    """One line for the list: the text's first characters, or a word in brackets for the rest."""
    if message.kind == MessageKind.TEXT:
        return " ".join(message.body.split())[:PREVIEW_CHARS]
    return message_kind_words().get(message.kind, f"[{message.kind}]")


def desk_conversations(user: Any) -> list[DeskConversation]:
    """The open conversations whose contact is with this user as an agent (none for a non-agent)."""
    contacts = list(
        RoutedContact.objects.filter(
            status=ContactStatus.ASSIGNED,
            agent__user_id=user.pk,
            agent__is_active=True,
            conversation__status=ConversationStatus.OPEN,
        )
        .select_related("conversation__customer__tier", "conversation__last_channel", "queue")
        .order_by(F("conversation__last_message_at").desc(nulls_last=True), "-conversation_id")
    )
    conversations = {c.pk: c.conversation for c in contacts if c.conversation is not None}
    if not conversations:
        return []
    unread = dict(
        Message.objects.filter(
            conversation_id__in=[conv.pk for conv in conversations.values()],
            direction=Direction.INBOUND,
            read_at__isnull=True,
        )
        .values("conversation_id")
        .annotate(n=Count("id"))
        .values_list("conversation_id", "n")
    )
    # Each conversation's newest message is the one numbered last_seq: exact lookups on the
    # (conversation, seq) unique index, however long the conversations are.
    newest = [Q(conversation_id=conv.pk, seq=conv.last_seq) for conv in conversations.values()]
    last = {
        m.conversation_id: m
        for m in Message.objects.filter(reduce(or_, newest)).only(
            "conversation_id", "seq", "kind", "sender_type", "body", "created_at"
        )
    }
    return [
        DeskConversation(contact=c, unread=unread.get(conv.pk, 0), last_message=last.get(conv.pk))
        for c in contacts
        if (conv := conversations.get(c.pk)) is not None
    ]


def desk_conversation_data(row: DeskConversation) -> dict[str, Any]:
    contact = row.contact
    conversation = contact.conversation
    assert conversation is not None  # the query asked for open conversations
    customer = conversation.customer
    tier = customer.tier
    message = row.last_message
    return {
        "conversation": conversation.pk,
        "contact": contact.pk,
        "customer": {
            "id": customer.pk,
            "name": customer.display_name,
            "tier": tier.code if tier else None,
            "tier_name": str(tier) if tier else None,
        },
        "channel": conversation.last_channel.kind,
        "topic": conversation.topic,
        "queue": {"id": contact.queue_id, "name": str(contact.queue)},
        "assigned_at": contact.assigned_at,
        "transfer_note": contact.transfer_note,
        "last_seq": conversation.last_seq,
        "unread": row.unread,
        "last_message": None
        if message is None
        else {
            "seq": message.seq,
            "kind": message.kind,
            "sender_type": message.sender_type,
            "preview": message_preview(message),
            "created_at": message.created_at,
        },
    }
