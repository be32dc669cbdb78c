"""The screen pop: everything an agent needs about a customer the moment a contact is accepted,
so the customer never repeats the story (M15, M18). One read, a fixed number of queries however
long the customer's history is (a test counts them).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber

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


def _earlier_lines(conversation_ids: list[int]) -> dict[int, list[Message]]:
    """The last few text lines of each conversation, in one query (a window per conversation)."""
    if not conversation_ids:
        return {}
    ranked = (
        Message.objects.filter(conversation_id__in=conversation_ids, kind=MessageKind.TEXT)
        .annotate(rank=Window(RowNumber(), partition_by=[F("conversation_id")], order_by=F("seq").desc()))
        .filter(rank__lte=LINES_PER_CONVERSATION)
        .only("conversation_id", "seq", "sender_type", "body", "created_at")
    )
    lines: dict[int, list[Message]] = {pk: [] for pk in conversation_ids}
    for message in sorted(ranked, key=lambda m: (m.conversation_id, m.seq)):
        lines[message.conversation_id].append(message)
    return lines


def screen_pop(customer: Customer, *, current_conversation_id: int | None = None) -> ScreenPop:
    identities = list(ChannelIdentity.objects.filter(customer=customer).order_by("kind", "id"))
    orders = list(Order.objects.filter(customer=customer).order_by("-placed_at")[:ORDERS])
    tickets = Ticket.objects.filter(customer=customer, merged_into__isnull=True).select_related("category")
    open_tickets = list(tickets.filter(status__in=WORKING).order_by("-number")[:OPEN_TICKETS])
    past_tickets = list(tickets.filter(~Q(status__in=WORKING)).order_by("-number")[:PAST_TICKETS])
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
