"""Conversation events: real-time payloads to the exact groups, and the new-contact domain event."""

from __future__ import annotations

from typing import Any

from callcenter.core.domain_events import emit_on_commit
from callcenter.core.realtime import apublish, publish_on_commit
from callcenter.core.tenancy import group_name, require_tenant
from channels_app.models import Channel
from conversations.models import Conversation, Message
from customers.models import Customer

CONTACT_CREATED = "conversations.contact_created"
# A conversation was resolved: routing frees the agent's capacity or takes it off the queue.
CONVERSATION_ENDED = "conversations.conversation_ended"
# An agent's message was stored; the adapter of its channel delivers it (WeChat API, APP webhook).
MESSAGE_OUTBOUND = "conversations.message_outbound"


def conversation_group(tenant_id: int, conversation_id: int) -> str:
    """Everyone following one conversation: the customer's sockets and the agents on it."""
    return group_name(tenant_id, "conv", conversation_id)


def message_payload(message: Message) -> dict[str, Any]:
    return {
        "conversation": message.conversation_id,
        "seq": message.seq,
        "id": message.pk,
        "kind": message.kind,
        "direction": message.direction,
        "sender_type": message.sender_type,
        "body": message.body,
        "attachments": message.attachments,
        "client_msg_id": message.client_msg_id,
        "channel": message.channel.kind if message.channel else None,
        "created_at": message.created_at.isoformat(),
        # The agent's ticks: delivered to the customer's channel, read by the customer.
        "delivered_at": message.delivered_at.isoformat() if message.delivered_at else None,
        "read_at": message.read_at.isoformat() if message.read_at else None,
    }


def message_created(message: Message) -> None:
    tenant = require_tenant()
    publish_on_commit(
        conversation_group(tenant.pk, message.conversation_id), "message.created", message_payload(message)
    )


def contact_created(conversation: Conversation, customer: Customer, channel: Channel) -> None:
    """A new conversation is a new contact: routing subscribes to this (issue #4)."""
    tenant = require_tenant()
    payload = {
        "tenant_id": tenant.pk,
        "schema": tenant.schema_name,
        "conversation": conversation.pk,
        "customer": customer.pk,
        "tier": customer.tier.code if customer.tier else None,
        "tier_rank": customer.tier.rank if customer.tier else 0,
        "channel": channel.kind,
        "channel_id": channel.pk,
        "topic": conversation.topic,
    }
    emit_on_commit(CONTACT_CREATED, payload)
    publish_on_commit(group_name(tenant.pk, "contacts"), "contact.created", payload)


def conversation_resolved(conversation: Conversation, actor: Any) -> None:
    tenant = require_tenant()
    emit_on_commit(
        CONVERSATION_ENDED,
        {
            "tenant_id": tenant.pk,
            "schema": tenant.schema_name,
            "conversation": conversation.pk,
            "actor": getattr(actor, "pk", None),
        },
    )
    publish_on_commit(
        conversation_group(tenant.pk, conversation.pk), "conversation.resolved", {"conversation": conversation.pk}
    )


def message_outbound(message: Message, channel: Channel) -> None:
    tenant = require_tenant()
    emit_on_commit(
        MESSAGE_OUTBOUND,
        {
            "tenant_id": tenant.pk,
            "schema": tenant.schema_name,
            "message": message.pk,
            "conversation": message.conversation_id,
            "channel_id": channel.pk,
            "channel_kind": channel.kind,
        },
    )


def messages_read(conversation: Conversation, direction: str, up_to_seq: int) -> None:
    tenant = require_tenant()
    publish_on_commit(
        conversation_group(tenant.pk, conversation.pk),
        "message.read",
        {"conversation": conversation.pk, "direction": direction, "up_to_seq": up_to_seq},
    )


async def typing(tenant_id: int, conversation_id: int, sender_type: str, is_typing: bool) -> None:
    """Typing is not stored: it goes straight to the conversation's sockets."""
    await apublish(
        conversation_group(tenant_id, conversation_id),
        "typing",
        {"conversation": conversation_id, "sender_type": sender_type, "is_typing": is_typing},
    )


def message_delivered(message: Message) -> None:
    tenant = require_tenant()
    publish_on_commit(
        conversation_group(tenant.pk, message.conversation_id),
        "message.delivered",
        {"conversation": message.conversation_id, "seq": message.seq, "id": message.pk},
    )


def message_updated(message: Message) -> None:
    """A stored message changed (its attachments now point at our copy): the full new payload."""
    tenant = require_tenant()
    publish_on_commit(
        conversation_group(tenant.pk, message.conversation_id), "message.updated", message_payload(message)
    )
