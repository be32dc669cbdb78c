"""Counting failed logins in Redis and locking an account or an address out for a while."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache, caches


def _digest(value: str) -> str:
    # Usernames may be Chinese or e-mail addresses; hash them into a safe, short key part.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:24]


@dataclass(frozen=True)
class LoginThrottle:
    """Failures are counted per (scope, account) and per (scope, address).

    ``scope`` separates tenants and consoles: a lockout on one tenant's "admin" says nothing
    about another tenant's "admin".
    """

    scope: str

    def _keys(self, username: str, ip: str) -> tuple[str, str, str, str]:
        user, addr = _digest(username), _digest(ip or "-")
        return (
            f"login:{self.scope}:fail:u:{user}",
            f"login:{self.scope}:fail:ip:{addr}",
            f"login:{self.scope}:lock:u:{user}",
            f"login:{self.scope}:lock:ip:{addr}",
        )

    def locked_for(self, username: str, ip: str) -> int:
        """Seconds until this account or address may try again; 0 when it may now."""
        _, _, lock_user, lock_ip = self._keys(username, ip)
        remaining = 0
        for key in (lock_user, lock_ip):
            until = cache.get(key)
            if until:
                remaining = max(remaining, int(until - _now()))
        return max(remaining, 0)

    def record_failure(self, username: str, ip: str) -> bool:
        """Count a failure; True when it has just caused a lockout."""
        fail_user, fail_ip, lock_user, lock_ip = self._keys(username, ip)
        window = settings.LOGIN_FAILURE_WINDOW_S
        locked = False
        for fail_key, lock_key, limit in (
            (fail_user, lock_user, settings.LOGIN_MAX_FAILURES),
            (fail_ip, lock_ip, settings.LOGIN_MAX_FAILURES_PER_IP),
        ):
            cache.add(fail_key, 0, window)
            count = cache.incr(fail_key)
            if count >= limit:
                cache.set(lock_key, _now() + settings.LOGIN_LOCKOUT_S, settings.LOGIN_LOCKOUT_S)
                cache.delete(fail_key)
                locked = True
        return locked

    def record_success(self, username: str, ip: str) -> None:
        fail_user, _, _, _ = self._keys(username, ip)
        cache.delete(fail_user)


def _now() -> float:
    return time.time()


def client_ip(request: object) -> str:
    meta = getattr(request, "META", {}) or {}
    return str(meta.get("REMOTE_ADDR", ""))


def within_rate(name: str, ident: str, *, limit: int, window_s: int) -> bool:
    """Count one more event for ``ident``; False once it exceeds ``limit`` in the window."""
    return within_rates([(name, ident, limit)], window_s=window_s)


def within_rates(checks: list[tuple[str, str, int]], *, window_s: int) -> bool:
    """Count one more event against every (name, ident, limit) at once; False if any is over.

    On Redis this is one pipelined round trip however many counters there are (a WebSocket
    frame counts against its connection's address, its user and its tenant).
    """
    window = int(_now() // window_s)
    keys = [cache.make_and_validate_key(f"rate:{name}:{_digest(ident)}:{window}") for name, ident, _ in checks]
    client = redis_client()
    if client is None:  # another cache backend: the portable, slower way
        counts = []
        for key in keys:
            cache.add(key, 0, window_s)
            counts.append(int(cache.incr(key)))
    else:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.set(key, 0, ex=window_s, nx=True)
            pipe.incr(key)
        counts = [int(value) for value in pipe.execute()[1::2]]
    return all(count <= limit for count, (_name, _ident, limit) in zip(counts, checks, strict=True))


def redis_client() -> Any:
    """The raw client behind Django's Redis cache, or None for any other backend."""
    from django.core.cache.backends.redis import RedisCache

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return cast(Any, backend)._cache.get_client(write=True)
