"""The ticket's history: every service that changes a ticket writes one entry per change here."""

from __future__ import annotations

from typing import Any

from tickets.models import Ticket, TicketEvent


def actor_fields(actor: Any) -> dict[str, Any]:
    """A user is stored as a reference; a string ("customer", "system", a bot's name) as a label."""
    if actor is None or isinstance(actor, str):
        return {"actor": None, "actor_label": actor or "system"}
    return {"actor": actor, "actor_label": ""}


def history_record(ticket: Ticket, actor: Any, action: str, field: str = "", old: Any = None, new: Any = None) -> None:
    TicketEvent.objects.create(
        ticket=ticket, action=action, field=field, old_value=old, new_value=new, **actor_fields(actor)
    )
