"""Creating tickets with a number per tenant, changing their fields and status, customer replies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from conversations.models import Conversation
from customers.models import Customer
from tickets.domain.workflow import RESOLVED, may_move, status_after_customer_reply
from tickets.models import Category, Priority, Status, Ticket, TicketCounter, TicketEvent

SUBJECT_MAX = 200


class StatusMoveRefused(ConflictError):
    code = "status_move_refused"


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None or isinstance(actor, str):
        return {"actor": None, "actor_label": actor or "system"}
    return {"actor": actor, "actor_label": ""}


def _record(ticket: Ticket, actor: Any, action: str, field: str = "", old: Any = None, new: Any = None) -> None:
    TicketEvent.objects.create(
        ticket=ticket, action=action, field=field, old_value=old, new_value=new, **_actor_fields(actor)
    )


def _next_number() -> int:
    """The tenant's next ticket number: gapless under concurrency (the counter row is locked)."""
    counter, _created = TicketCounter.objects.select_for_update().get_or_create(pk=1)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


def ticket_create(
    *,
    customer: Customer,
    subject: str,
    actor: Any,
    category: Category | None = None,
    priority: str = Priority.NORMAL,
    conversations: Iterable[Conversation] = (),
    order_ref: str = "",
) -> Ticket:
    subject = " ".join(subject.split())
    if not subject:
        raise ValidationError({"subject": [_("Write a subject.")]})
    if len(subject) > SUBJECT_MAX:
        raise ValidationError({"subject": [_("At most %(max)d characters.") % {"max": SUBJECT_MAX}]})
    if priority not in Priority.values:
        raise ValidationError({"priority": [_("Unknown priority.")]})
    with transaction.atomic():
        ticket = Ticket.objects.create(
            number=_next_number(),
            subject=subject,
            customer=customer,
            category=category,
            priority=priority,
            order_ref=order_ref.strip()[:64],
        )
        linked = list(conversations)
        if linked:
            ticket.conversations.add(*linked)
        _record(ticket, actor, "created", new={"subject": subject, "priority": priority})
    return ticket


def ticket_status_set(*, ticket: Ticket, status: str, actor: Any, now: datetime | None = None) -> Ticket:
    """Move the ticket along the workflow (tickets.domain.workflow); a move it forbids is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status == status:
            return locked
        if status not in Status.values:
            raise ValidationError({"status": [_("Unknown status.")]})
        if not may_move(locked.status, status):
            raise StatusMoveRefused(
                _("A ticket that is %(current)s cannot become %(wanted)s.")
                % {"current": Status(locked.status).label, "wanted": Status(status).label}
            )
        old = locked.status
        locked.status = status
        if status == RESOLVED:
            locked.resolved_at = now
        if status == Status.CLOSED:
            locked.closed_at = now
        locked.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
        _record(locked, actor, "status", "status", old, status)
    return locked


def ticket_customer_replied(*, ticket: Ticket, now: datetime | None = None) -> Ticket:
    """A customer wrote about this ticket: it goes back to the team, or reopens if recently resolved."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        wanted = status_after_customer_reply(locked.status, locked.resolved_at, now, settings.TICKET_REOPEN_DAYS)
        if wanted is None:
            return locked
        old, locked.status = locked.status, wanted
        locked.save(update_fields=["status", "updated_at"])
        _record(locked, "customer", "reopened" if old == RESOLVED else "status", "status", old, wanted)
    return locked
