"""Customers' WeChat voice messages, fetched from WeChat's media API and kept in our storage.

A voice push only carries a MediaId, which WeChat keeps for 3 days; the message is stored with
a ``wechat-media:<MediaId>`` attachment, and ``fetch_wechat_media`` (a task queued once the push
is processed) downloads the audio, saves it under ``t{tenant}/wechat/{channel}/`` in the default
storage and swaps the reference for a signed file link (``/channels/files/...``, made by
channels_app.services.files). Safe to run twice: the file name is fixed by the MediaId, and only the
references still in the message are replaced.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import structlog
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from callcenter.core.tenancy import require_tenant
from callcenter.integrations import wechat
from channels_app.adapters.wechat.tokens import wechat_credentials_of, with_access_token
from channels_app.models import WeChatInboxMessage

log = structlog.get_logger(__name__)

PREFIX = "wechat-media:"
_MEDIA_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
# What we keep and serve; anything else WeChat labels its media is stored as plain bytes.
EXTENSIONS = {
    "audio/amr": ".amr",
    "audio/speex": ".speex",
    "audio/x-speex": ".speex",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
}
OTHER = "application/octet-stream"


def _pending(attachments: list[dict[str, Any]]) -> list[str]:
    return [
        str(a["url"])[len(PREFIX) :]
        for a in attachments
        if isinstance(a, dict) and str(a.get("url", "")).startswith(PREFIX)
    ]


def _download(token: str, *, media_id: str) -> wechat.Media:
    return wechat.media_download(access_token=token, media_id=media_id)


def wechat_media_fetch(*, inbox_id: int) -> int:
    """Fetch and store the media of one processed push; returns how many attachments were replaced.

    Raises ``WeChatApiError``: the caller retries when it is ``retryable``.
    """
    from channels_app.services.files import StoredUpload
    from conversations.models import Direction, Message

    row = WeChatInboxMessage.objects.select_related("channel").filter(pk=inbox_id).first()
    if row is None or row.processed_at is None:
        return 0
    message = Message.objects.filter(
        channel=row.channel, client_msg_id=f"wechat:{row.pk}", direction=Direction.INBOUND
    ).first()
    if message is None or not _pending(message.attachments):
        return 0
    credentials = wechat_credentials_of(row.channel)
    if credentials is None:
        log.warning("wechat.media_no_credentials", channel=row.channel_id, inbox=row.pk)
        return 0
    tenant_id = require_tenant().pk
    replaced: dict[str, dict[str, Any]] = {}
    for media_id in _pending(message.attachments):
        if not _MEDIA_ID.match(media_id):
            log.warning("wechat.media_bad_id", inbox=row.pk)
            continue
        media = with_access_token(
            tenant_id=tenant_id,
            credentials=credentials,
            call=functools.partial(_download, media_id=media_id),
        )
        content_type = media.content_type if media.content_type in EXTENSIONS else OTHER
        name = f"{media_id}{EXTENSIONS.get(content_type, '.bin')}"
        key = f"t{tenant_id}/wechat/{row.channel_id}/{name}"
        if not default_storage.exists(key):
            key = default_storage.save(key, ContentFile(media.content))
        stored = StoredUpload(key=key, content_type=content_type, size=len(media.content), name=name)
        replaced[PREFIX + media_id] = stored.attachment()
    if not replaced:
        return 0
    from conversations.services import message_attachments_replace

    message_attachments_replace(message_id=message.pk, replacements=replaced)
    log.info("wechat.media_stored", inbox=row.pk, message=message.pk, count=len(replaced))
    return len(replaced)
