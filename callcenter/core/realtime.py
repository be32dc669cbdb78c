"""Publishing real-time events after the transaction that caused them commits."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = structlog.get_logger(__name__)

# Consumers forward messages of this channel-layer type to their client.
FORWARD_TYPE = "realtime.event"


def _envelope(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": FORWARD_TYPE, "event": event, "payload": payload}


async def apublish(group: str, event: str, payload: dict[str, Any]) -> None:
    """``publish`` for async code (consumers) with nothing stored: typing indicators and the like."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, _envelope(event, payload))
    except Exception:
        log.warning("realtime.publish_failed", group=group, event_name=event, exc_info=True)


def publish(group: str, event: str, payload: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, _envelope(event, payload))
    except Exception:  # the socket is a hint; the database already holds the truth
        log.warning("realtime.publish_failed", group=group, event_name=event, exc_info=True)


def publish_many(messages: list[tuple[str, str, dict[str, Any]]]) -> None:
    """``publish`` for many (group, event, payload) at once: one trip into the event loop, the sends
    side by side. A routing round's offers and queue positions go out this way."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all() -> None:
        sent = [layer.group_send(group, _envelope(event, payload)) for group, event, payload in messages]
        for outcome in await asyncio.gather(*sent, return_exceptions=True):
            if isinstance(outcome, Exception):
                log.warning("realtime.publish_failed", error=repr(outcome))

    async_to_sync(send_all)()


def publish_many_on_commit(messages: list[tuple[str, str, dict[str, Any]]]) -> None:
    if messages:
        transaction.on_commit(lambda: publish_many(messages))


def publish_on_commit(group: str, event: str, payload: dict[str, Any]) -> None:
    """Send ``event`` to ``group`` once the surrounding transaction commits (now if there is none)."""
    transaction.on_commit(lambda: publish(group, event, payload))
