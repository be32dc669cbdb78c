"""Routing's handlers of other contexts' domain events: quick, they only send tasks."""

from __future__ import annotations

from typing import Any


def on_contact_created(payload: dict[str, Any]) -> None:
    from routing.tasks import contact_arrived

    contact_arrived.apply_async(kwargs={"conversation_id": payload["conversation"]})


def on_conversation_ended(payload: dict[str, Any]) -> None:
    from routing.tasks import contact_ended

    contact_ended.apply_async(kwargs={"conversation_id": payload["conversation"]})
