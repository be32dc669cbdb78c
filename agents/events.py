"""Real-time events about agents and seats, and exactly who receives them (docs/realtime-events.md)."""

from __future__ import annotations

from callcenter.core.realtime import publish_on_commit
from callcenter.core.tenancy import group_name


def seats_changed(tenant_id: int, seats_in_use: int) -> None:
    publish_on_commit(group_name(tenant_id, "staff"), "seats.changed", {"seats_in_use": seats_in_use})
