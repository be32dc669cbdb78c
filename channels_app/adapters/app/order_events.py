"""Order events for the shop's order system, sent through the APP channel's signed webhook.

The shop's backend is reached through its APP channel: the same outbox, signature, retries
and ``X-CC-Delivery`` ids as ``message.created`` (``webhooks.app_webhook_send`` sends any
row). ``customers.services.addresses`` calls the two functions here inside its transaction,
so the outbox row commits or rolls back with the change it announces, and customers never
touches channel internals (config keys, namespaces, the outbox model).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from channels_app.adapters.app.selectors import app_user_id_of
from channels_app.adapters.app.webhooks import webhook_config_errors, webhook_config_of
from channels_app.models import Channel, ChannelKind, OutboundDelivery
from channels_app.selectors import channel_app_user_namespace
from channels_app.services.outbox import delivery_enqueue
from customers.models import Customer

log = structlog.get_logger(__name__)

ADDRESS_CHANGED_EVENT = "order.address_changed"
# ``Channel.config`` key: the shop's own order statuses in which an address may still change.
# Absent, the settings default (ORDER_ADDRESS_CHANGEABLE_STATUSES) applies. It sits on the APP
# channel because the statuses are the shop's vocabulary, like ``app_user_namespace``.
CHANGEABLE_STATUSES_CONFIG = "order_address_changeable_statuses"
MAX_STATUSES = 50


@dataclass(frozen=True)
class OrderSystem:
    """Where the shop learns of changes to a customer's orders."""

    channel: Channel
    app_user_id: str | None  # the customer's user id at the shop, when we know it
    changeable_statuses: frozenset[str] | None  # the channel's override; None: the settings default


def _connected_channels() -> list[Channel]:
    """Active APP channels whose webhook can be sent to (the form refuses bad settings; old rows may hold them)."""
    channels = Channel.objects.filter(kind=ChannelKind.APP, is_active=True).order_by("pk")
    config_ok = (c for c in channels if webhook_config_of(c) is not None)
    return [c for c in config_ok if not webhook_config_errors(c.config)]


def _statuses(channel: Channel) -> frozenset[str] | None:
    value = (channel.config or {}).get(CHANGEABLE_STATUSES_CONFIG)
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) > MAX_STATUSES
        or not all(isinstance(s, str) and s.strip() for s in value)
    ):
        # Not validated by the channel form: a bad value falls back to the default, loudly.
        log.warning("order_system.bad_changeable_statuses", channel=channel.pk)
        return None
    return frozenset(s.strip() for s in value)


def _pick(channels: Iterable[Channel], customer: Customer) -> tuple[Channel, str | None] | None:
    """The oldest channel that knows the customer as an APP user; else the only channel, if one."""
    candidates = list(channels)
    for channel in candidates:
        app_user_id = app_user_id_of(customer, channel_app_user_namespace(channel))
        if app_user_id is not None:
            return channel, app_user_id
    # Nobody knows the customer: with two shops we cannot tell which one has the order.
    return (candidates[0], None) if len(candidates) == 1 else None


def order_system_for(customer: Customer) -> OrderSystem | None:
    """The shop backend that must hear of changes to this customer's orders, or None if none is connected."""
    picked = _pick(_connected_channels(), customer)
    if picked is None:
        return None
    channel, app_user_id = picked
    return OrderSystem(channel=channel, app_user_id=app_user_id, changeable_statuses=_statuses(channel))


def order_address_changed_enqueue(
    *,
    system: OrderSystem,
    order_no: str,
    old_address: dict[str, Any],
    new_address: dict[str, Any],
    changed_at: datetime,
    changed_by: str,
    version: str,
) -> OutboundDelivery:
    """Write the ``order.address_changed`` outbox row; it is sent after the caller's transaction commits.

    ``version`` is the order's token after the change; every change moves the order's time
    stamp forward, so it is new for every change and names the row (a repeat finds the same row).
    """
    payload = {
        "order_no": order_no,
        "app_user_id": system.app_user_id,
        "old_address": old_address,
        "new_address": new_address,
        "changed_at": changed_at.isoformat(),
        "changed_by": changed_by,
        "version": version,
    }
    row, _created = delivery_enqueue(
        channel=system.channel,
        event=ADDRESS_CHANGED_EVENT,
        payload=payload,
        dedupe_key=f"order-address:{order_no}:{version}",
    )
    return row
