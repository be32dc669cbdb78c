"""What a signed-in customer may see: their own tickets and orders, and nothing else.

Every read takes the customer and filters by them and by every profile merged into them (a
merge may leave records on the merged profile). Anything else is "not found", never "forbidden":
the portal does not confirm that another customer's order or ticket exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from callcenter.core.errors import NotFoundError
from channels_app.adapters.wechat.tokens import wechat_credentials_of
from channels_app.models import Channel, ChannelKind
from customers.models import Customer, Order
from customers.selectors import customer_profile_ids, order_get_for_customer
from tickets.models import Status, Ticket, TicketComment, TicketEvent
from tickets.selectors import ticket_comments

LIST_LIMIT = 50


def portal_ticket_list(customer: Customer, *, limit: int = LIST_LIMIT) -> list[Ticket]:
    """The customer's tickets, most recently changed first; tickets merged into others are left out."""
    return list(
        Ticket.objects.filter(customer_id__in=customer_profile_ids(customer), merged_into__isnull=True).order_by(
            "-updated_at", "-number"
        )[:limit]
    )


def portal_ticket_get(customer: Customer, number: int) -> Ticket:
    ticket = Ticket.objects.filter(number=number, customer_id__in=customer_profile_ids(customer)).first()
    if ticket is None:
        raise NotFoundError("No such ticket.")
    return ticket


def portal_ticket_for_link(customer: Customer, *, ticket_id: int, link_customer_id: int) -> Ticket:
    """The ticket a link names, when both the ticket and the link's addressee are this customer's."""
    family = customer_profile_ids(customer)
    ticket = Ticket.objects.filter(pk=ticket_id, customer_id__in=family).first()
    if ticket is None or link_customer_id not in family:
        raise NotFoundError("No such ticket.")
    return ticket


def portal_order_list(customer: Customer, *, limit: int = LIST_LIMIT) -> list[Order]:
    return list(Order.objects.filter(customer_id__in=customer_profile_ids(customer)).order_by("-placed_at")[:limit])


def portal_order_get(customer: Customer, order_no: str) -> Order:
    try:
        return order_get_for_customer(customer=customer, order_no=order_no)
    except Order.DoesNotExist:
        raise NotFoundError("No such order.") from None


@dataclass(frozen=True)
class OrderLine:
    name: str
    sku: str
    qty: Any
    price: Decimal | None


def order_lines(order: Order) -> list[OrderLine]:
    """The order's items as the shop sent them, for display; anything malformed is skipped."""
    lines = []
    for item in order.items if isinstance(order.items, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            price = Decimal(str(item["price"])) if item.get("price") not in (None, "") else None
        except (InvalidOperation, ValueError):
            price = None
        lines.append(OrderLine(str(item.get("name") or ""), str(item.get("sku") or ""), item.get("qty") or "", price))
    return lines


def portal_wechat_channel() -> Channel | None:
    """The official account that signs customers in from inside WeChat: the oldest active one set up for it."""
    for channel in Channel.objects.filter(kind=ChannelKind.WECHAT_OFFICIAL, is_active=True).order_by("pk"):
        if wechat_credentials_of(channel) is not None:
            return channel
    return None


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "comment" or "status"
    comment: TicketComment | None = None
    status: str = ""


def portal_ticket_timeline(ticket: Ticket) -> list[TimelineEntry]:
    """What the customer may see of their ticket, oldest first: public replies (theirs and the team's,
    duplicates merged into it included) and the status changes. Internal notes never appear."""
    entries = [
        TimelineEntry(at=comment.created_at, kind="comment", comment=comment)
        for comment in ticket_comments(ticket, public_only=True)
    ]
    for at, new_value in TicketEvent.objects.filter(ticket=ticket, field="status").values_list("at", "new_value"):
        if isinstance(new_value, str) and new_value in Status.values:
            entries.append(TimelineEntry(at=at, kind="status", status=str(Status(new_value).label)))
    return sorted(entries, key=lambda entry: entry.at)
