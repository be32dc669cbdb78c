"""Receiving a push: every check, cheapest and safest first, before anything is stored.

Order: body size; signature in constant time (``msg_signature`` over the ciphertext in safe
mode, ``signature`` in plaintext mode, never one for the other); the clock; the nonce (burned
only once the signature holds, so forged requests cannot burn real nonces); the XML; the
decryption and its AppID. Only then is the message stored (``services.wechat_inbox_store``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

import structlog
from django.core.cache import cache
from django.utils.translation import gettext

from callcenter.core.errors import ServiceError
from callcenter.core.tenancy import require_tenant, tenant_key
from channels_app.adapters.wechat.config import WeChatConfig
from channels_app.adapters.wechat.crypto import AppIdMismatch, DecryptError, decrypt, signature_matches
from channels_app.adapters.wechat.messages import InboundMessage, MalformedMessage, message_from, parse_xml
from channels_app.adapters.wechat.services import wechat_inbox_store
from channels_app.models import Channel, WeChatInboxMessage

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 64 * 1024  # WeChat's pushes are a few KB; text messages are capped at 2048 bytes
MAX_CLOCK_SKEW_S = 300
# Longer than the whole window a timestamp is accepted in (2 x skew), so a nonce cannot come back.
NONCE_TTL_S = 600

_SIGNATURE = re.compile(r"^[0-9a-f]{40}\Z")
_TIMESTAMP = re.compile(r"^[0-9]{1,12}\Z")
_NONCE = re.compile(r"^[A-Za-z0-9]{1,64}\Z")
_ECHOSTR = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
# Only to find what msg_signature covers before any XML parser sees the body; the parsed
# <Encrypt> must then be the very same text.
_ENCRYPT = re.compile(rb"<Encrypt>\s*<!\[CDATA\[([^\]]*)\]\]>\s*</Encrypt>")


class WeChatRejected(ServiceError):
    """A push refused before anything was stored; ``status_code`` is what WeChat is answered."""

    def __init__(self, message: str, *, code: str, status: int) -> None:
        super().__init__(message, code=code)
        self.status_code = status


def _reject(channel: Channel, code: str, status: int, message: str) -> WeChatRejected:
    log.info("wechat.rejected", channel=channel.pk, reason=code)
    return WeChatRejected(message, code=code, status=status)


def _bad_signature(channel: Channel) -> WeChatRejected:
    return _reject(channel, "bad_signature", 403, gettext("The signature is not valid."))


def nonce_key(channel: Channel, nonce: str) -> str:
    return tenant_key(require_tenant().pk, "wechat-nonce", channel.pk, nonce)


def wechat_echostr_check(*, channel: Channel, config: WeChatConfig, params: Mapping[str, str]) -> str:
    """The ``echostr`` to answer WeChat's URL check with, if the plain ``signature`` holds."""
    given, timestamp, nonce = params.get("signature", ""), params.get("timestamp", ""), params.get("nonce", "")
    echostr = params.get("echostr", "")
    shapes_ok = all(
        (_SIGNATURE.match(given), _TIMESTAMP.match(timestamp), _NONCE.match(nonce), _ECHOSTR.match(echostr))
    )
    if not shapes_ok or not signature_matches(given, config.token, timestamp, nonce):
        raise _bad_signature(channel)
    return echostr


def wechat_push_verify(
    *, channel: Channel, config: WeChatConfig, params: Mapping[str, str], body: bytes
) -> tuple[InboundMessage, str]:
    """The message in a push, once every check has passed, and the nonce it burned."""
    if len(body) > MAX_BODY_BYTES:
        raise _reject(channel, "too_large", 413, gettext("The request body is too large."))
    timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
    if config.safe_mode:
        given = params.get("msg_signature", "")
        found = _ENCRYPT.findall(body)
        if len(found) != 1:
            raise _bad_signature(channel)  # nothing, or two things, that msg_signature could cover
        try:
            encrypted = found[0].decode("ascii")
        except UnicodeDecodeError:
            raise _bad_signature(channel) from None
        parts: tuple[str, ...] = (config.token, timestamp, nonce, encrypted)
    else:
        given, encrypted = params.get("signature", ""), ""
        parts = (config.token, timestamp, nonce)
    shapes_ok = _SIGNATURE.match(given) and _TIMESTAMP.match(timestamp) and _NONCE.match(nonce)
    if not shapes_ok or not signature_matches(given, *parts):
        raise _bad_signature(channel)
    if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_S:
        raise _reject(channel, "stale", 403, gettext("The timestamp is too far from the server clock."))
    key = nonce_key(channel, nonce)
    if not cache.add(key, 1, NONCE_TTL_S):
        raise _reject(channel, "replayed", 403, gettext("This request was already received."))
    unreadable = gettext("The message could not be read.")
    try:
        fields = parse_xml(body)
        if config.safe_mode:
            assert config.aes_key is not None
            if fields.get("Encrypt") != encrypted:
                raise MalformedMessage("<Encrypt> differs from what was signed")
            try:
                fields = parse_xml(decrypt(encrypted, key=config.aes_key, app_id=config.app_id))
            except DecryptError:
                raise _reject(channel, "bad_encryption", 400, gettext("The message could not be decrypted.")) from None
            except AppIdMismatch:
                raise _reject(channel, "wrong_app_id", 400, gettext("The message is for another app.")) from None
        message = message_from(fields)
    except MalformedMessage as exc:
        log.info("wechat.malformed", channel=channel.pk, detail=str(exc))
        raise _reject(channel, "malformed", 400, unreadable) from None
    return message, key


def wechat_push_receive(
    *, channel: Channel, config: WeChatConfig, params: Mapping[str, str], body: bytes
) -> WeChatInboxMessage | None:
    """Verify a push and store it once; None when its type is not handled (it is only logged)."""
    message, key = wechat_push_verify(channel=channel, config=config, params=params, body=body)
    if not message.supported:
        log.info(
            "wechat.unsupported",
            channel=channel.pk,
            msg_type=message.msg_type,
            wechat_event=message.fields.get("Event"),
        )
        return None
    try:
        row, _created = wechat_inbox_store(channel=channel, app_id=config.app_id, message=message)
    except Exception:
        # Not stored: give the nonce back, so WeChat's retry of this very push is not a "replay".
        cache.delete(key)
        raise
    return row
