"""Reads of channels and their API keys."""

from __future__ import annotations

import hashlib

from channels_app.models import Channel, ChannelApiKey

KEY_PREFIX = "chk_"
# "chk_" + token_urlsafe(32) is 47 characters; anything much longer is not one of ours.
MAX_KEY_LENGTH = 100
# ``Channel.config`` key that separates one APP's user ids from another's (see channel_app_user_namespace).
APP_USER_NAMESPACE_CONFIG = "app_user_namespace"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def channel_api_key_lookup(raw: str) -> ChannelApiKey | None:
    """The live key behind ``raw`` in the current schema: not revoked, its channel active."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > MAX_KEY_LENGTH:
        return None
    return (
        ChannelApiKey.objects.select_related("channel")
        .filter(key_hash=hash_key(raw), revoked_at__isnull=True, channel__is_active=True)
        .first()
    )


def channel_for_api_key(raw: str) -> Channel | None:
    key = channel_api_key_lookup(raw)
    return key.channel if key is not None else None


def channel_app_user_namespace(channel: Channel) -> str:
    """The namespace of the APP user ids this channel reports.

    By default "": the shop's user ids form one account system per tenant, so the same user
    seen through the APP, the web widget or the order sync is one customer. A tenant whose
    channels have separate user bases sets ``config["app_user_namespace"]`` on each.
    """
    value = (channel.config or {}).get(APP_USER_NAMESPACE_CONFIG, "")
    return value[:64] if isinstance(value, str) else ""
