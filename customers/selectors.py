"""Reads of customer profiles: lookup, search and the cross-channel timeline."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from callcenter.core.errors import NotFoundError
from customers.domain.phones import InvalidPhoneNumber, normalize_phone
from customers.models import ActivityEvent, ChannelIdentity, Customer, Order
from customers.services.identity import surviving


def customer_language(customer: Customer) -> str:
    """The language to write to the customer in: ``en`` when their profile says English, else ``zh-hans``."""
    language = customer.attributes.get("language") if isinstance(customer.attributes, dict) else None
    return "en" if isinstance(language, str) and language.lower().startswith("en") else "zh-hans"


def customer_get(customer_id: int) -> Customer:
    customer = Customer.objects.select_related("tier").filter(pk=customer_id).first()
    if customer is None:
        raise NotFoundError("No such customer.")
    return customer


def customer_search(query: str, limit: int = 50) -> QuerySet[Customer]:
    """By name, phone (any common way of writing it), e-mail, tag or a channel id."""
    customers = Customer.objects.filter(merged_into__isnull=True).select_related("tier")
    text = query.strip()
    if not text:
        return customers[:limit]
    condition = Q(display_name__icontains=text) | Q(emails__contains=[text.lower()]) | Q(tags__contains=[text])
    try:
        condition |= Q(phones__contains=[normalize_phone(text)])
    except InvalidPhoneNumber:
        pass
    by_identity = ChannelIdentity.objects.filter(external_id=text).values("customer_id")
    return customers.filter(condition | Q(pk__in=by_identity)).distinct()[:limit]


def customer_profile_ids(customer: Customer) -> set[int]:
    """The ids of the customer's one profile: the survivor of its merges and every profile merged into it."""
    ids = {surviving(customer).pk}
    frontier = set(ids)
    while frontier:  # merges chain (a -> b -> c); one query per level
        frontier = set(Customer.objects.filter(merged_into_id__in=frontier).values_list("pk", flat=True)) - ids
        ids |= frontier
    return ids


def order_get_for_customer(*, customer: Customer, order_no: str) -> Order:
    """The customer's order with that number; ``Order.DoesNotExist`` for anyone else's, or none.

    "The customer" is the whole merged profile: a portal session or a caller matched to a
    merged-away profile still reaches the orders that moved to the survivor.
    """
    return Order.objects.select_related("customer").get(
        order_no=order_no, customer_id__in=customer_profile_ids(customer)
    )


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "order", "activity"; conversations and tickets join as their apps arrive
    id: int
    summary: dict[str, Any]


# A source yields its newest entries first, older than ``before`` (None: from the newest).
TimelineSource = Callable[[Customer, datetime | None, int], Iterable[TimelineEntry]]


def _orders(customer: Customer, before: datetime | None, limit: int) -> Iterable[TimelineEntry]:
    # Only what the entry shows (items and the address can be large JSON).
    rows = Order.objects.filter(customer=customer).only(
        "id", "placed_at", "order_no", "status", "amount", "logistics_status"
    )
    if before is not None:
        rows = rows.filter(placed_at__lt=before)
    for order in rows.order_by("-placed_at")[:limit]:
        yield TimelineEntry(
            order.placed_at,
            "order",
            order.pk,
            {
                "order_no": order.order_no,
                "status": order.status,
                "amount": str(order.amount),
                "logistics_status": order.logistics_status,
            },
        )


def _activities(customer: Customer, before: datetime | None, limit: int) -> Iterable[TimelineEntry]:
    rows = ActivityEvent.objects.filter(customer=customer)
    if before is not None:
        rows = rows.filter(occurred_at__lt=before)
    for event in rows.order_by("-occurred_at")[:limit]:
        yield TimelineEntry(event.occurred_at, "activity", event.pk, {"kind": event.kind, "data": event.data})


TIMELINE_SOURCES: list[TimelineSource] = [_orders, _activities]


def customer_timeline(customer: Customer, *, before: datetime | None = None, limit: int = 50) -> list[TimelineEntry]:
    """Everything the customer did or had, on every channel, newest first.

    Page on with ``before`` = the ``at`` of the last entry of the previous page. Each source
    reads at most ``limit`` rows, so a page costs one indexed query per source.
    """
    limit = max(1, min(limit, 200))
    streams = [list(source(customer, before, limit)) for source in TIMELINE_SOURCES]
    merged = heapq.merge(*streams, key=lambda entry: entry.at, reverse=True)
    return [entry for _, entry in zip(range(limit), merged, strict=False)]
