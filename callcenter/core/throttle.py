"""Counting failed logins in Redis and locking an account or an address out for a while."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


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
    key = f"rate:{name}:{_digest(ident)}:{int(_now() // window_s)}"
    cache.add(key, 0, window_s)
    return int(cache.incr(key)) <= limit
