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
from tickets.models import Category, Priority, Status, Ticket, TicketCounter
from tickets.services.history import history_record
from tickets.services.notifications import EVENT_FOR_STATUS
from tickets.services.sla import sla_on_status, sla_start

SUBJECT_MAX = 200


class StatusMoveRefused(ConflictError):
    code = "status_move_refused"


def clean_subject(subject: object) -> str:
    text = " ".join(str(subject or "").split())
    if not text:
        raise ValidationError({"subject": [_("Write a subject.")]})
    if len(text) > SUBJECT_MAX:
        raise ValidationError({"subject": [_("At most %(max)d characters.") % {"max": SUBJECT_MAX}]})
    return text


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
    assignee: Any = None,
    note: str = "",
    now: datetime | None = None,
) -> Ticket:
    """A new ticket; ``note`` becomes its first internal note (e.g. a summary of the chat it came from)."""
    from tickets.services.comments import ticket_note_add

    subject = clean_subject(subject)
    if priority not in Priority.values:
        raise ValidationError({"priority": [_("Unknown priority.")]})
    with transaction.atomic():
        ticket = Ticket(
            number=_next_number(),
            subject=subject,
            customer=customer,
            category=category,
            priority=priority,
            order_ref=order_ref.strip()[:64],
            assignee=assignee,
            created_at=now or timezone.now(),
        )
        sla_start(ticket)
        ticket.save(force_insert=True)
        linked = list(conversations)
        if linked:
            ticket.conversations.add(*linked)
        history_record(ticket, actor, "created", new={"subject": subject, "priority": priority})
        if assignee is not None:
            history_record(ticket, actor, "changed", "assignee", None, assignee.pk)
        if note.strip():
            ticket_note_add(ticket=ticket, author=actor, body=note)
    return ticket


def ticket_status_set(*, ticket: Ticket, status: str, actor: Any, now: datetime | None = None) -> Ticket:
    """Move the ticket along the workflow (tickets.domain.workflow); a move it forbids is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("sla_policy__calendar").get(pk=ticket.pk)
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
        sla_fields = sla_on_status(locked, old, status, now)
        locked.save(update_fields=["status", "resolved_at", "closed_at", "updated_at", *sla_fields])
        if status in EVENT_FOR_STATUS:
            from tickets.tasks import notify_customer

            notify_customer.delay_on_commit(locked.pk, EVENT_FOR_STATUS[status])
        history_record(locked, actor, "status", "status", old, status)
    return locked


def ticket_customer_replied(*, ticket: Ticket, now: datetime | None = None) -> Ticket:
    """A customer wrote about this ticket: it goes back to the team, or reopens if recently resolved."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("sla_policy__calendar").get(pk=ticket.pk)
        wanted = status_after_customer_reply(locked.status, locked.resolved_at, now, settings.TICKET_REOPEN_DAYS)
        if wanted is None:
            return locked
        old, locked.status = locked.status, wanted
        sla_fields = sla_on_status(locked, old, wanted, now)
        locked.save(update_fields=["status", "updated_at", *sla_fields])
        history_record(locked, "customer", "reopened" if old == RESOLVED else "status", "status", old, wanted)
    return locked
