"""Writes for WeChat pushes: store one inbox row per push, then resolve its customer."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from channels_app.adapters.wechat.messages import InboundMessage
from channels_app.models import Channel, WeChatInboxMessage
from channels_app.tasks import process_wechat_message
from customers.models import IdentityKind
from customers.services.identity import Contact, contact_resolve

_UNIONID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")
MAX_TEXT = 4000


def wechat_inbox_store(*, channel: Channel, app_id: str, message: InboundMessage) -> tuple[WeChatInboxMessage, bool]:
    """Store ``message`` unless its dedupe key is already in; queue its processing when new."""
    with transaction.atomic():
        row, created = WeChatInboxMessage.objects.get_or_create(
            channel=channel,
            dedupe_key=message.dedupe_key,
            defaults={
                "app_id": app_id,
                "openid": message.openid,
                "msg_type": message.msg_type,
                "payload": message.fields,
            },
        )
        if created:
            # After commit, from this request's schema: the task runs in the same tenant.
            process_wechat_message.delay_on_commit(row.pk)
    return row, created


def wechat_inbox_process(*, message_id: int) -> WeChatInboxMessage | None:
    """Find the customer behind a stored push and mark it processed; a processed row is left alone."""
    with transaction.atomic():
        row = WeChatInboxMessage.objects.select_for_update().filter(pk=message_id).first()
        if row is None or row.processed_at is not None:
            return row
        unionid = str(row.payload.get("UnionId", ""))
        contact = Contact(
            kind=IdentityKind.WECHAT_OPENID,
            namespace=row.app_id,
            external_id=row.openid,
            wechat_unionid=unionid if _UNIONID.match(unionid) else "",
        )
        resolution = contact_resolve(contact)
        _deliver_to_conversation(row, contact)
        row.customer = resolution.customer
        row.processed_at = timezone.now()
        row.save(update_fields=["customer", "processed_at"])
    return row


def _deliver_to_conversation(row: WeChatInboxMessage, contact: Contact) -> None:
    """Text, image and voice pushes become messages of the customer's one conversation.

    Events (subscribe, menu clicks) only identify the customer. A voice message keeps WeChat's
    MediaId as a ``wechat-media:`` reference; fetching the audio needs the media API.
    """
    from conversations.services import inbound_message_receive

    payload = row.payload
    kind, body, attachments = "", "", []
    if row.msg_type == "text":
        kind, body = "text", str(payload.get("Content", ""))[:MAX_TEXT]
    elif row.msg_type == "image" and payload.get("PicUrl"):
        kind, attachments = "image", [{"url": str(payload["PicUrl"])}]
    elif row.msg_type == "voice" and payload.get("MediaId"):
        kind = "voice"
        attachments = [
            {"url": f"wechat-media:{payload['MediaId']}", "content_type": f"audio/{payload.get('Format', 'amr')}"}
        ]
    if kind:
        inbound_message_receive(
            channel=row.channel,
            contact=contact,
            kind=kind,
            body=body,
            attachments=attachments,
            client_msg_id=f"wechat:{row.pk}",
        )
