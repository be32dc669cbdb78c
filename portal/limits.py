"""Redis counters that slow down code sending and code guessing, per tenant, address and network.

Every key carries the tenant id, and addresses are only ever seen here as keyed hashes. The
cache is the shared Redis, so the limits hold across web processes.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from callcenter.core.tenancy import require_tenant, tenant_key
from callcenter.core.throttle import within_rate

HOUR_S = 3600


def _key(*parts: object) -> str:
    return tenant_key(require_tenant().pk, "portal", *parts)


def _until(key: str) -> int:
    until = cache.get(key)
    return max(0, int(until - time.time())) if until else 0


def _hour_left() -> int:
    # within_rate counts in windows aligned to the clock: this one ends at the next full hour.
    return HOUR_S - int(time.time()) % HOUR_S


def locked_for(destination: str, ip: str) -> int:
    """Seconds until this address (and this network) may try a code again; 0 when they may now."""
    return max(_until(_key("lock", "d", destination)), _until(_key("lock", "ip", ip or "-")))


def send_wait(destination: str, ip: str) -> tuple[str, int] | None:
    """Take one code sending, or say why not: ("interval" | "address" | "network", seconds to wait).

    The one-per-interval gate comes first and is atomic (two quick clicks send one code);
    refusals by it do not eat into the hourly budgets.
    """
    interval = settings.PORTAL_CODE_SEND_INTERVAL_S
    gate = _key("send-gate", destination)
    if not cache.add(gate, time.time() + interval, interval):
        return "interval", max(1, _until(gate))
    tenant = require_tenant().pk
    refused = None
    if not within_rate(
        f"t{tenant}.portal-send", destination, limit=settings.PORTAL_CODE_SENDS_PER_HOUR, window_s=HOUR_S
    ):
        refused = "address"
    elif not within_rate(
        f"t{tenant}.portal-send-ip", ip or "-", limit=settings.PORTAL_CODE_SENDS_PER_IP_PER_HOUR, window_s=HOUR_S
    ):
        refused = "network"
    if refused is None:
        return None
    cache.delete(gate)  # nothing was sent: the gate must not hold back a send from elsewhere
    return refused, _hour_left()


def send_gate_release(destination: str) -> None:
    """The code could not be sent: let the person ask again at once."""
    cache.delete(_key("send-gate", destination))


def failure_record(destination: str, ip: str) -> bool:
    """Count one wrong code; True when it has just locked the address or the network out."""
    locked = False
    for scope, ident, limit in (
        ("d", destination, settings.PORTAL_MAX_FAILURES),
        ("ip", ip or "-", settings.PORTAL_MAX_FAILURES_PER_IP),
    ):
        counter = _key("fail", scope, ident)
        cache.add(counter, 0, HOUR_S)
        if cache.incr(counter) >= limit:
            lockout = settings.PORTAL_LOCKOUT_S
            cache.set(_key("lock", scope, ident), time.time() + lockout, lockout)
            cache.delete(counter)
            locked = True
    return locked


def failures_clear(destination: str) -> None:
    cache.delete(_key("fail", "d", destination))
