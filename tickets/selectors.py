"""Reading tickets for agents (lists with filters, one ticket, its timeline) and for customers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from callcenter.core.errors import NotFoundError
from tickets.domain.workflow import WORKING
from tickets.models import Ticket, TicketAttachment, TicketComment, Visibility

LIST_MAX = 100
# What a list row shows (tickets.apis.ticket_summary_data): narrow rows are built and sent faster.
LIST_COLUMNS = (
    *("number", "subject", "status", "priority", "order_ref", "created_at", "updated_at", "sla_breached"),
    *("first_response_due", "first_responded_at", "resolution_due"),
    *("customer", "customer__display_name"),
    *("category", "category__code", "category__name", "category__name_en"),
    *("assignee", "assignee__username", "assignee__agent_profile", "assignee__agent_profile__display_name"),
    *("team", "team__name"),
)


@dataclass(frozen=True)
class TicketFilters:
    """An agent's list: ``mine`` (assigned to them), ``team`` (their team's), a status or ``working``
    (not resolved or closed), ``breached``, a customer, a free-text ``q`` (number or order)."""

    mine: bool = False
    team_id: int | None = None
    status: str | None = None
    breached: bool = False
    customer_id: int | None = None
    q: str = ""


def ticket_list(*, user: Any, filters: TicketFilters, after_number: int | None = None, limit: int = 50) -> list[Ticket]:
    """Newest first, keyed by number so a page never repeats or skips a ticket when others arrive."""
    rows: QuerySet[Ticket] = Ticket.objects.filter(merged_into__isnull=True)
    if filters.mine:
        rows = rows.filter(assignee_id=user.pk)
    if filters.team_id is not None:
        rows = rows.filter(team_id=filters.team_id)
    if filters.status == "working":
        rows = rows.filter(status__in=WORKING)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.breached:
        rows = rows.filter(sla_breached=True)
    if filters.customer_id is not None:
        rows = rows.filter(customer_id=filters.customer_id)
    query = filters.q.strip().lstrip("#")
    if query:
        match = Q(order_ref=query)
        if query.isdigit() and len(query) < 19:
            match |= Q(number=int(query))
        rows = rows.filter(match)
    if after_number is not None:
        rows = rows.filter(number__lt=after_number)
    limit = max(1, min(limit, LIST_MAX))
    return list(
        rows.select_related("customer", "category", "assignee__agent_profile", "team")
        .only(*LIST_COLUMNS)
        .order_by("-number")[:limit]
    )


def ticket_get(number: int) -> Ticket:
    ticket = (
        Ticket.objects.select_related(
            "customer", "category", "assignee__agent_profile", "team", "merged_into", "sla_policy"
        )
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise NotFoundError("No such ticket.")
    return ticket


def _thread(ticket: Ticket) -> list[int]:
    """The ticket and the duplicates merged into it: one conversation with the customer."""
    return [ticket.pk, *Ticket.objects.filter(merged_into=ticket).values_list("pk", flat=True)]


def ticket_comments(ticket: Ticket, *, public_only: bool) -> list[TicketComment]:
    rows = TicketComment.objects.filter(ticket_id__in=_thread(ticket))
    if public_only:
        rows = rows.filter(visibility=Visibility.PUBLIC)
    return list(rows.select_related("author", "author_customer").prefetch_related("attachments"))


def ticket_attachment_get(ticket: Ticket, attachment_id: int, *, public_only: bool) -> TicketAttachment:
    """An attachment of this ticket (or a duplicate merged into it) the reader may open."""
    rows = TicketAttachment.objects.filter(pk=attachment_id, ticket_id__in=_thread(ticket))
    if public_only:
        rows = rows.filter(comment__visibility=Visibility.PUBLIC)
    attachment = rows.first()
    if attachment is None:
        raise NotFoundError("No such attachment.")
    return attachment
