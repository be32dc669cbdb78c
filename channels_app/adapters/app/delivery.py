"""From domain events to the APP: outbox rows for the webhook, ``conversation.opened`` for sockets.

``connect()`` runs once per process from ``ChannelsAppConfig.ready``: it subscribes the
handlers below and registers the webhook sender for APP channels with the outbox.
"""

from __future__ import annotations

from typing import Any

import structlog
from django_tenants.utils import tenant_context

from callcenter.core import domain_events
from callcenter.core.tenancy import current_tenant
from channels_app.adapters.app import events
from channels_app.adapters.app.selectors import app_user_id_of, app_user_identities
from channels_app.adapters.app.webhooks import app_webhook_send, webhook_config_of
from channels_app.models import Channel, ChannelKind, OutboundDelivery
from channels_app.selectors import channel_app_user_namespace
from channels_app.services.outbox import delivery_enqueue, sender_register

log = structlog.get_logger(__name__)

WEBHOOK_EVENT = "message.created"


def app_webhook_enqueue(*, channel: Channel, message_id: int) -> OutboundDelivery | None:
    """Queue an agent's message for the channel's webhook (once per message); None when there is no webhook."""
    from conversations.events import message_payload
    from conversations.models import Message

    if channel.kind != ChannelKind.APP or not channel.is_active or webhook_config_of(channel) is None:
        return None
    message = Message.objects.select_related("channel", "conversation__customer").filter(pk=message_id).first()
    if message is None:
        return None
    namespace = channel_app_user_namespace(channel)
    app_user_id = app_user_id_of(message.conversation.customer, namespace)
    if app_user_id is None:  # the customer never wrote from this APP: the shop could not route it
        log.warning("app_webhook.no_app_user", channel=channel.pk, message=message_id)
        return None
    payload = {**message_payload(message), "app_user_id": app_user_id}
    row, _created = delivery_enqueue(
        channel=channel, event=WEBHOOK_EVENT, payload=payload, dedupe_key=f"msg:{message_id}", message_id=message_id
    )
    return row


def _tenant_of(payload: dict[str, Any]) -> Any:
    from tenants.models import Tenant

    current = current_tenant()
    if current is not None and getattr(current, "pk", None) == payload.get("tenant_id"):
        return current
    return Tenant.objects.filter(pk=payload.get("tenant_id"), schema_name=payload.get("schema")).first()


def on_message_outbound(payload: dict[str, Any]) -> None:
    """``conversations.message_outbound``: an agent's message on an APP channel goes to its webhook."""
    if payload.get("channel_kind") != ChannelKind.APP:
        return
    tenant = _tenant_of(payload)
    if tenant is None:
        log.error("app_webhook.unknown_tenant", tenant_id=payload.get("tenant_id"))
        return
    with tenant_context(tenant):
        channel = Channel.objects.filter(pk=payload["channel_id"]).first()
        if channel is not None:
            app_webhook_enqueue(channel=channel, message_id=payload["message"])


def on_contact_created(payload: dict[str, Any]) -> None:
    """``conversations.contact_created``: the customer's APP sockets start following the new conversation."""
    tenant = _tenant_of(payload)
    if tenant is None:
        return
    with tenant_context(tenant):
        identities = app_user_identities(payload["customer"])
    for namespace, app_user_id in identities:
        events.conversation_opened(tenant.pk, namespace, app_user_id, payload["conversation"])


def connect() -> None:
    from conversations.events import CONTACT_CREATED, MESSAGE_OUTBOUND

    domain_events.subscribe(MESSAGE_OUTBOUND, on_message_outbound)
    domain_events.subscribe(CONTACT_CREATED, on_contact_created)
    sender_register(ChannelKind.APP, app_webhook_send)
