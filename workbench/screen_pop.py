"""The screen pop: everything an agent needs about a customer the moment a contact is accepted,
so the customer never repeats the story (M15, M18). One read, a fixed number of queries however
long the customer's history is (a test counts them).

It is read on every accepted contact, so it is kept lean (bench/workbench: 100,000 customers,
2,000,000 messages): every part reads an index in the order it shows and stops after what it
shows, and orders and tickets carry only the fields the screen pop shows (``ORDER_FIELDS``,
``TICKET_FIELDS``); reading another one costs a query per row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from conversations.models import Message, MessageKind
from customers.models import ChannelIdentity, Customer, Order
from customers.selectors import TimelineEntry, customer_timeline
from tickets.domain.workflow import WORKING
from tickets.models import Ticket

ORDERS = 5
OPEN_TICKETS = 10
PAST_TICKETS = 5
TIMELINE = 20
EARLIER_CONVERSATIONS = 3
LINES_PER_CONVERSATION = 4

ORDER_FIELDS = (
    "order_no",
    "status",
    "amount",
    "currency",
    "placed_at",
    "logistics_status",
    "logistics_company",
    "tracking_no",
)
TICKET_FIELDS = (
    "number",
    "subject",
    "status",
    "priority",
    "updated_at",
    "sla_breached",
    "category__code",
    "category__name",
    "category__name_en",
)


@dataclass(frozen=True)
class ScreenPop:
    customer: Customer
    identities: list[ChannelIdentity]
    orders: list[Order]
    open_tickets: list[Ticket]
    past_tickets: list[Ticket]
    timeline: list[TimelineEntry]
    # The last lines of the customer's earlier conversations, newest conversation first.
    earlier: dict[int, list[Message]]


def _tickets(customer: Customer) -> tuple[list[Ticket], list[Ticket]]:
    """The newest tickets still being worked on and the newest others, in one query."""
    tickets = (
        Ticket.objects.filter(customer=customer, merged_into__isnull=True)
        .select_related("category")
        .only(*TICKET_FIELDS)
        .order_by("-number")
    )
    working = tickets.filter(status__in=WORKING)[:OPEN_TICKETS]
    others = tickets.filter(~Q(status__in=WORKING))[:PAST_TICKETS]
    rows = sorted(working.union(others, all=True), key=lambda ticket: -ticket.number)
    return [t for t in rows if t.status in WORKING], [t for t in rows if t.status not in WORKING]


# Per conversation, its (conversation, seq) index read backwards, stopping after a few text lines
# however long the chat was. A LATERAL join, which the ORM does not write; a union of one query
# per conversation says the same but costs three times as long to build.
_EARLIER_LINES_SQL = """
    SELECT m.id, m.conversation_id, m.seq, m.sender_type, m.body, m.created_at
    FROM unnest(%s::bigint[]) AS c(id)
    CROSS JOIN LATERAL (
        SELECT id, conversation_id, seq, sender_type, body, created_at
        FROM conversations_message
        WHERE conversation_id = c.id AND kind = %s
        ORDER BY seq DESC
        LIMIT %s
    ) m
"""


def _earlier_lines(conversation_ids: list[int]) -> dict[int, list[Message]]:
    """The last few text lines of each conversation, oldest first, in one query."""
    if not conversation_ids:
        return {}
    rows = Message.objects.raw(_EARLIER_LINES_SQL, [conversation_ids, MessageKind.TEXT.value, LINES_PER_CONVERSATION])
    lines: dict[int, list[Message]] = {pk: [] for pk in conversation_ids}
    for message in sorted(rows, key=lambda m: (m.conversation_id, m.seq)):
        lines[message.conversation_id].append(message)
    return lines


def screen_pop_customer(customer_id: int) -> Customer | None:
    """The customer whose screen pop is asked for, with the tier the card shows."""
    return Customer.objects.select_related("tier").filter(pk=customer_id).first()


def screen_pop(customer: Customer, *, current_conversation_id: int | None = None) -> ScreenPop:
    identities = list(ChannelIdentity.objects.filter(customer=customer).order_by("kind", "id"))
    orders = list(Order.objects.filter(customer=customer).only(*ORDER_FIELDS).order_by("-placed_at")[:ORDERS])
    open_tickets, past_tickets = _tickets(customer)
    timeline = customer_timeline(customer, limit=TIMELINE)
    earlier_ids = [
        entry.id for entry in timeline if entry.kind == "conversation" and entry.id != current_conversation_id
    ][:EARLIER_CONVERSATIONS]
    return ScreenPop(
        customer=customer,
        identities=identities,
        orders=orders,
        open_tickets=open_tickets,
        past_tickets=past_tickets,
        timeline=timeline,
        earlier=_earlier_lines(earlier_ids),
    )
