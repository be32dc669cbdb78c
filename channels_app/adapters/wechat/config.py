"""A WeChat channel's settings (``Channel.config``) and the lookup of a channel by its webhook id."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from channels_app.adapters.wechat.crypto import aes_key_from
from channels_app.models import Channel, ChannelKind

log = structlog.get_logger(__name__)

WECHAT_KINDS = (ChannelKind.WECHAT_OFFICIAL, ChannelKind.WECHAT_MINI_PROGRAM)


@dataclass(frozen=True)
class WeChatConfig:
    """``token`` signs every push; ``aes_key`` (from ``encoding_aes_key``) means safe mode.

    ``app_secret`` is also kept in ``Channel.config``: replies and OAuth read it (adapters/wechat/tokens.py).
    """

    token: str
    app_id: str
    aes_key: bytes | None

    @property
    def safe_mode(self) -> bool:
        return self.aes_key is not None


def wechat_config_of(channel: Channel) -> WeChatConfig | None:
    """The channel's WeChat settings, or None when they cannot verify a push."""
    config = channel.config if isinstance(channel.config, dict) else {}
    token, app_id, aes = config.get("token"), config.get("app_id"), config.get("encoding_aes_key")
    # An empty token would make every signature computable by anyone.
    if not isinstance(token, str) or not token or not isinstance(app_id, str) or not app_id:
        return None
    if aes in (None, ""):
        return WeChatConfig(token=token, app_id=app_id, aes_key=None)
    key = aes_key_from(aes) if isinstance(aes, str) else None
    if key is None:
        return None
    return WeChatConfig(token=token, app_id=app_id, aes_key=key)


def wechat_channel_get(channel_id: int) -> tuple[Channel, WeChatConfig] | None:
    """The active WeChat channel ``channel_id`` of the current schema, with usable settings."""
    channel = Channel.objects.filter(pk=channel_id, kind__in=WECHAT_KINDS, is_active=True).first()
    if channel is None:
        return None
    config = wechat_config_of(channel)
    if config is None:
        log.warning("wechat.channel_misconfigured", channel=channel.pk)
        return None
    return channel, config
