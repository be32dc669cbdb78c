"""Asking for a routing round soon, without sending a task for every change.

Many changes in a burst (fifty new chats in a second) need one round, not fifty: a short-lived
Redis flag marks a round as already asked for; the round task clears it before it reads the
state, so a change made after that read asks for the next round.
"""

from __future__ import annotations

from django.db import transaction

from callcenter.core.tenancy import current_schema
from callcenter.core.throttle import redis_client

PENDING_TTL_S = 5  # if the asked-for round never runs, the flag lapses and the sweep routes


def pending_key(schema: str) -> str:
    return f"routing:pending:{schema}"


def request_round(*, countdown_s: float | None = None) -> None:
    """A round after the current transaction commits (or after ``countdown_s``, for timers)."""
    schema = current_schema()

    def send() -> None:
        from routing.tasks import route

        if countdown_s is not None:
            route.apply_async(countdown=max(0.0, countdown_s))
            return
        client = redis_client()
        if client is None or client.set(pending_key(schema), 1, nx=True, ex=PENDING_TTL_S):
            route.apply_async()

    transaction.on_commit(send)


def request_round_at(at_epoch_s: float, now_epoch_s: float) -> None:
    """A round when a waiting contact reaches its next step; one timer per tenant and second."""
    schema = current_schema()

    def send() -> None:
        from routing.tasks import route

        client = redis_client()
        key = f"routing:timer:{schema}:{int(at_epoch_s)}"
        delay = max(0.0, at_epoch_s - now_epoch_s) + 0.05  # just after the step's time, never before
        if client is None or client.set(key, 1, nx=True, ex=int(delay) + 60):
            route.apply_async(countdown=delay)

    transaction.on_commit(send)


def mark_dirty() -> bool:
    """Note that the state changed since the last round started; False without Redis."""
    client = redis_client()
    if client is None:
        return False
    client.set(dirty_key(current_schema()), 1, ex=PENDING_TTL_S * 12)
    return True


def take_dirty() -> bool:
    """Whether the state changed since this was last asked, clearing the mark."""
    client = redis_client()
    return client is not None and bool(client.delete(dirty_key(current_schema())))


def is_dirty() -> bool:
    client = redis_client()
    return client is not None and bool(client.exists(dirty_key(current_schema())))


def dirty_key(schema: str) -> str:
    return f"routing:dirty:{schema}"


def clear_round_request() -> None:
    client = redis_client()
    if client is not None:
        client.delete(pending_key(current_schema()))
