"""A WeChat app's access token, shared by every process of a tenant through the cache (Redis).

WeChat hands out one live token per app (a new one retires the last after 5 minutes) and counts
every fetch against a daily quota, so processes must not each fetch their own: the token is kept
under ``t{tenant}:wechat-token:{app_id}`` until a few minutes before it expires, and only the
process holding a short cache lock fetches a new one while the others wait and read it.
When WeChat says a token is no longer valid (40001, 40014, 42001), ``with_access_token`` fetches
a new one once (unless another process already did) and repeats the call straight away.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog
from django.core.cache import cache

from callcenter.core.tenancy import tenant_key
from callcenter.integrations import wechat
from callcenter.integrations.wechat import WeChatApiError
from channels_app.models import Channel

log = structlog.get_logger(__name__)

T = TypeVar("T")

# Stop using a token this long before WeChat's expires_in (7200 s) runs out.
TOKEN_EARLY_S = 300
# Longer than one fetch can take (3 s to connect + 10 s to read), so the lock outlives its holder's
# request; a holder that died frees it by itself after this.
LOCK_TTL_S = 20
LOCK_WAIT_S = 15
POLL_S = 0.05


@dataclass(frozen=True)
class WeChatCredentials:
    app_id: str
    app_secret: str


def wechat_credentials_of(channel: Channel) -> WeChatCredentials | None:
    """``app_id`` and ``app_secret`` from the channel's settings, or None when one is missing."""
    config = channel.config if isinstance(channel.config, dict) else {}
    app_id, secret = config.get("app_id"), config.get("app_secret")
    if not isinstance(app_id, str) or not app_id or not isinstance(secret, str) or not secret:
        return None
    return WeChatCredentials(app_id=app_id, app_secret=secret)


def token_key(tenant_id: int, app_id: str) -> str:
    return tenant_key(tenant_id, "wechat-token", app_id)


def token_ttl(expires_in: int) -> int:
    """How long to keep a token WeChat says lives ``expires_in`` seconds (0: do not keep it)."""
    if expires_in > 2 * TOKEN_EARLY_S:
        return expires_in - TOKEN_EARLY_S
    return max(0, expires_in // 2)


def access_token_get(*, tenant_id: int, credentials: WeChatCredentials, stale: str = "") -> str:
    """The app's current access token, fetched only when the cache has none (or only ``stale``)."""
    key = token_key(tenant_id, credentials.app_id)
    lock = tenant_key(tenant_id, "wechat-token-lock", credentials.app_id)
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        token = cache.get(key)
        if token and token != stale:
            return str(token)
        owner = secrets.token_hex(8)
        if cache.add(lock, owner, LOCK_TTL_S):
            try:
                token = cache.get(key)  # someone may have stored one between our read and the lock
                if token and token != stale:
                    return str(token)
                fetched = wechat.access_token_fetch(app_id=credentials.app_id, app_secret=credentials.app_secret)
                ttl = token_ttl(fetched.expires_in)
                if ttl:
                    cache.set(key, fetched.token, ttl)
                log.info("wechat.token_fetched", app_id=credentials.app_id, expires_in=fetched.expires_in)
                return fetched.token
            finally:
                if cache.get(lock) == owner:
                    cache.delete(lock)
        if time.monotonic() > deadline:
            raise WeChatApiError("timed out waiting for another process to fetch the access token", retryable=True)
        time.sleep(POLL_S)


def with_access_token(*, tenant_id: int, credentials: WeChatCredentials, call: Callable[[str], T]) -> T:
    """``call(token)``; when WeChat no longer takes the token, once more with a fresh one."""
    token = access_token_get(tenant_id=tenant_id, credentials=credentials)
    try:
        return call(token)
    except WeChatApiError as exc:
        if not exc.token_invalid:
            raise
        log.info("wechat.token_refused", app_id=credentials.app_id, errcode=exc.errcode)
    fresh = access_token_get(tenant_id=tenant_id, credentials=credentials, stale=token)
    return call(fresh)
