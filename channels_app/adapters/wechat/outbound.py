"""Agents' replies to WeChat users, through the customer-service message API and the outbox.

``conversations.message_outbound`` (after the reply is committed) writes one outbox row per
message; the outbox's task calls ``wechat_delivery_send``, which finds the customer's openid on
that channel's app, sends the text (split into parts WeChat accepts) and the images (uploaded
as temporary media first), and marks the message delivered.

What WeChat refuses for good (45015: the user has not written for 48 hours; 45047: too many
replies since the user's last message; 40003; 48001...) fails the delivery with the errcode in
``last_error``; network trouble, HTTP 5xx, -1 "system busy" and quotas are retried with backoff.
A message sent in several parts remembers how many went out (``payload["sent_parts"]``), so a
retry does not send the first parts again. A reply that times out after WeChat took it can still
arrive twice: WeChat's API has no idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import structlog
from django.core.files.storage import default_storage
from django.urls import Resolver404, resolve
from django_tenants.utils import tenant_context

from callcenter.core.tenancy import current_tenant, require_tenant
from callcenter.integrations import wechat
from callcenter.integrations.wechat import WeChatApiError
from channels_app.adapters.wechat.config import WECHAT_KINDS
from channels_app.adapters.wechat.tokens import WeChatCredentials, wechat_credentials_of, with_access_token
from channels_app.models import Channel, OutboundDelivery
from channels_app.services.outbox import DeliveryFailed, DeliveryRetry, delivery_enqueue, sender_register

log = structlog.get_logger(__name__)

# WeChat refuses a text over 2048 bytes of UTF-8 (45002 "content size out of limit"; measured by
# developers, not in WeChat's documentation): about 680 Chinese characters. Longer replies go
# out as several messages of at most this many bytes, cut at a line, a sentence or a space.
TEXT_LIMIT_BYTES = 2000
# Temporary image media: JPEG, PNG or GIF (WeChat also takes BMP), at most 10 MB.
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
IMAGE_MAX_BYTES = 10 * 1024 * 1024
EVENT = "message.created"
_SENTENCE_ENDS = "。！？!?；;…"


def split_text(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-8 bytes, cut where a reader would pause."""
    pieces: list[str] = []
    rest = text
    while len(rest.encode()) > limit:
        fits, size = 0, 0
        for ch in rest:
            size += len(ch.encode())
            if size > limit:
                break
            fits += 1
        window = rest[:fits]
        cut = window.rfind("\n") + 1  # after the line break
        if cut <= fits // 2:
            cut = max(window.rfind(ch) for ch in _SENTENCE_ENDS) + 1
        if cut <= fits // 2:
            cut = max(window.rfind(" "), window.rfind("\u3000")) + 1
        if cut <= fits // 2:
            cut = fits
        piece = rest[:cut].rstrip("\n ")
        if piece:
            pieces.append(piece)
        rest = rest[cut:].lstrip("\n ")
    if rest.strip():
        pieces.append(rest)
    return pieces


# --- the domain event: one outbox row per agent message on a WeChat channel --------------------


def on_message_outbound(payload: dict[str, Any]) -> None:
    """``conversations.message_outbound`` handler: queue the delivery (runs after the reply's commit)."""
    if payload.get("channel_kind") not in WECHAT_KINDS:
        return
    current = current_tenant()
    if current is not None and current.pk == payload.get("tenant_id"):
        _enqueue(payload)
        return
    from tenants.models import Tenant

    tenant = Tenant.objects.filter(pk=payload.get("tenant_id"), schema_name=payload.get("schema")).first()
    if tenant is None:
        log.warning("wechat.outbound_unknown_tenant", tenant=payload.get("tenant_id"))
        return
    with tenant_context(tenant):
        _enqueue(payload)


def _enqueue(payload: dict[str, Any]) -> None:
    channel = Channel.objects.filter(pk=payload["channel_id"], kind__in=WECHAT_KINDS).first()
    if channel is None:
        return
    message_id = int(payload["message"])
    delivery_enqueue(
        channel=channel,
        event=EVENT,
        payload={"message": message_id, "conversation": payload.get("conversation")},
        dedupe_key=f"msg:{message_id}",
        message_id=message_id,
    )


# --- the outbox sender ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One WeChat message: a text, or an image stored under ``key`` in the default storage."""

    text: str = ""
    key: str = ""
    content_type: str = ""
    name: str = ""


def _stored_image(url: str) -> tuple[str, str, str] | None:
    """(storage key, content type, name) when ``url`` is one of this tenant's signed file links."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.url_name != "channel-file":
        return None
    from channels_app.services.files import file_link_read

    stored = file_link_read(str(match.kwargs.get("token", "")))  # checks the link names this tenant
    if stored is None:
        return None
    return stored.key, stored.content_type, stored.name


def message_parts(message: Any) -> list[Part]:
    """What ``message`` becomes on WeChat, in order; refuses before anything is sent."""
    parts = [Part(text=piece) for piece in split_text(message.body)] if message.body.strip() else []
    for number, attachment in enumerate(message.attachments or [], start=1):
        url = str(attachment.get("url", ""))
        stored = _stored_image(url)
        if stored is not None and stored[1] in IMAGE_TYPES:
            parts.append(Part(key=stored[0], content_type=stored[1], name=stored[2]))
        elif urlsplit(url).scheme in ("http", "https"):
            # Not a picture we hold: WeChat shows the link, and the user opens it.
            name = str(attachment.get("name", "")).strip()
            parts.extend(Part(text=piece) for piece in split_text(f"{name}\n{url}" if name else url))
        else:
            raise DeliveryFailed(
                f"attachment {number} cannot be sent to WeChat: only pictures stored here (JPEG, PNG, GIF) "
                "and http(s) links can"
            )
    if not parts:
        raise DeliveryFailed("nothing to send: the message has no text and no attachment")
    return parts


def _openid_of(message: Any, app_id: str) -> str:
    from customers.models import ChannelIdentity, IdentityKind
    from customers.services.identity import surviving

    customer = surviving(message.conversation.customer)
    identity = (
        ChannelIdentity.objects.filter(customer=customer, kind=IdentityKind.WECHAT_OPENID, namespace=app_id)
        .order_by("-created_at", "-pk")
        .first()
    )
    if identity is None:
        raise DeliveryFailed(f"the customer has no WeChat openid for app {app_id}: they never wrote on this channel")
    return identity.external_id


def _send_part(part: Part, *, openid: str, tenant_id: int, credentials: WeChatCredentials) -> None:
    if part.key:
        if not default_storage.exists(part.key):
            raise DeliveryFailed(f"the image {part.name or part.key} is no longer stored")
        if default_storage.size(part.key) > IMAGE_MAX_BYTES:
            raise DeliveryFailed(f"the image {part.name or part.key} is over WeChat's 10 MB limit")
        with default_storage.open(part.key, "rb") as file:
            content = file.read()

        def send_image(token: str) -> None:
            media_id = wechat.media_upload(
                access_token=token,
                media_type="image",
                filename=part.name or part.key.rsplit("/", 1)[-1],
                content=content,
                content_type=part.content_type,
            )
            wechat.custom_message_send(access_token=token, message=wechat.image_message(openid, media_id))

        with_access_token(tenant_id=tenant_id, credentials=credentials, call=send_image)
        return
    with_access_token(
        tenant_id=tenant_id,
        credentials=credentials,
        call=lambda token: wechat.custom_message_send(
            access_token=token, message=wechat.text_message(openid, part.text)
        ),
    )


def wechat_delivery_send(row: OutboundDelivery) -> None:
    """Outbox sender for WeChat channels: deliver one agent message, or say why it cannot be."""
    from conversations.models import Direction, Message

    channel = row.channel
    if not channel.is_active:
        raise DeliveryFailed("the channel is switched off")
    credentials = wechat_credentials_of(channel)
    if credentials is None:
        raise DeliveryFailed("the channel's settings lack app_id or app_secret")
    message = (
        Message.objects.select_related("conversation__customer")
        .filter(pk=row.message_id or row.payload.get("message"), direction=Direction.OUTBOUND)
        .first()
    )
    if message is None:
        raise DeliveryFailed("the message is gone")
    openid = _openid_of(message, credentials.app_id)
    parts = message_parts(message)
    sent = int(row.payload.get("sent_parts", 0))
    tenant_id = require_tenant().pk
    for index in range(sent, len(parts)):
        try:
            _send_part(parts[index], openid=openid, tenant_id=tenant_id, credentials=credentials)
        except WeChatApiError as exc:
            if exc.retryable:
                raise DeliveryRetry(str(exc)) from exc
            raise DeliveryFailed(str(exc)) from exc
        if len(parts) > 1:
            row.payload = {**row.payload, "sent_parts": index + 1}
            OutboundDelivery.objects.filter(pk=row.pk).update(payload=row.payload)
    from conversations.services import message_mark_delivered

    message_mark_delivered(message_id=message.pk)
    log.info("wechat.reply_sent", message=message.pk, parts=len(parts), channel=channel.pk)


def register() -> None:
    for kind in WECHAT_KINDS:
        sender_register(kind, wechat_delivery_send)
