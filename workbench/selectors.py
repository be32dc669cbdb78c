"""What the desk reads: the canned responses an agent may use, and the values their variables take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from agents.models import AgentProfile
from callcenter.core.errors import NotFoundError
from callcenter.core.tenancy import require_tenant
from conversations.models import Conversation, Message, MessageKind, SenderType
from customers.models import Order
from tickets.domain.workflow import WORKING
from tickets.models import Category, Ticket
from tickets.services.classify import category_suggest_for
from workbench.models import CannedResponse, CannedScope

CANNED_LIST_MAX = 50


def canned_visible_to(user: Any) -> QuerySet[CannedResponse]:
    """Everyone's, the user's team's and the user's own; admins also see every team's."""
    team_id = AgentProfile.objects.filter(user_id=user.pk).values_list("team_id", flat=True).first()
    seen = Q(scope=CannedScope.TENANT) | Q(scope=CannedScope.PERSONAL, owner_id=user.pk)
    if user.is_staff:
        seen |= Q(scope=CannedScope.TEAM)
    elif team_id is not None:
        seen |= Q(scope=CannedScope.TEAM, team_id=team_id)
    return CannedResponse.objects.filter(seen)


def canned_search(user: Any, query: str = "", *, limit: int = 20) -> list[CannedResponse]:
    """Active responses matching ``query`` (shortcut first, then title, then text), the user's own
    before the team's before everyone's."""
    rows = canned_visible_to(user).filter(is_active=True)
    query = query.strip().lstrip("/")[:80]
    rank: Value | Case = Value(0, output_field=IntegerField())
    if query:
        rows = rows.filter(Q(shortcut__istartswith=query) | Q(title__icontains=query) | Q(body__icontains=query))
        rank = Case(
            When(shortcut__istartswith=query, then=Value(0)),
            When(title__icontains=query, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    owner_first = Case(
        When(scope=CannedScope.PERSONAL, then=Value(0)),
        When(scope=CannedScope.TEAM, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    limit = max(1, min(limit, CANNED_LIST_MAX))
    return list(rows.annotate(rank=rank, owner_first=owner_first).order_by("rank", "owner_first", "shortcut")[:limit])


def canned_get_for(user: Any, response_id: int) -> CannedResponse:
    found = canned_visible_to(user).filter(pk=response_id).first()
    if found is None:
        raise NotFoundError("No such canned response.")
    return found


def canned_values_for(*, user: Any, conversation: Conversation | None) -> dict[str, str | None]:
    """What the variables stand for in this conversation: its customer, their latest order, the
    newest ticket it is linked to, the agent and the shop."""
    agent_name = AgentProfile.objects.filter(user_id=user.pk).values_list("display_name", flat=True).first()
    values: dict[str, str | None] = {
        "agent_name": agent_name or user.get_username(),
        "shop_name": require_tenant().name,
        "customer_name": None,
        "order_no": None,
        "ticket_no": None,
    }
    if conversation is not None:
        values["customer_name"] = conversation.customer.display_name or None
        values["order_no"] = (
            Order.objects.filter(customer_id=conversation.customer_id)
            .order_by("-placed_at")
            .values_list("order_no", flat=True)
            .first()
        )
        linked = Ticket.objects.filter(conversations=conversation).order_by("-number")
        number = linked.values_list("number", flat=True).first()
        values["ticket_no"] = f"#{number}" if number else None
    return values


# --- a ticket from a conversation -------------------------------------------------------------

DRAFT_MESSAGES = 20
SUMMARY_MAX = 1000
SUBJECT_MAX = 60


@dataclass(frozen=True)
class TicketDraft:
    """What the "new ticket" form starts with; the agent changes any of it before saving."""

    conversation: Conversation
    subject: str
    order_ref: str
    summary: str
    category: Category | None
    category_confidence: float | None
    category_matched: tuple[str, ...]
    open_tickets: list[Ticket]


def _line(message: Message) -> str:
    who = _("Customer") if message.sender_type == SenderType.CUSTOMER else _("Agent")
    return f"{who}: {' '.join(message.body.split())}"


def _mentioned_order(messages: list[Message], order_numbers: list[str]) -> str:
    """The order the chat is about: the newest message naming one of the customer's orders, else
    the customer's latest order."""
    for message in reversed(messages):
        for order_no in order_numbers:
            if order_no in message.body:
                return order_no
    return order_numbers[0] if order_numbers else ""


def ticket_draft(conversation: Conversation) -> TicketDraft:
    messages = list(
        Message.objects.filter(conversation=conversation, kind=MessageKind.TEXT)
        .exclude(sender_type=SenderType.SYSTEM)
        .exclude(body="")
        .order_by("-seq")
        .only("body", "sender_type", "seq")[:DRAFT_MESSAGES]
    )[::-1]
    from_customer = [m.body for m in messages if m.sender_type == SenderType.CUSTOMER]
    first = " ".join(from_customer[0].split()) if from_customer else ""
    subject = first if len(first) <= SUBJECT_MAX else first[: SUBJECT_MAX - 1] + "…"
    lines: list[str] = []
    for line in reversed([_line(m) for m in messages]):  # the newest lines are kept when it is long
        if sum(len(kept) + 1 for kept in lines) + len(line) > SUMMARY_MAX:
            break
        lines.insert(0, line)
    order_numbers = list(
        Order.objects.filter(customer_id=conversation.customer_id)
        .order_by("-placed_at")
        .values_list("order_no", flat=True)[:50]
    )
    suggested = category_suggest_for("\n".join(from_customer))
    open_tickets = list(
        Ticket.objects.filter(customer_id=conversation.customer_id, status__in=WORKING, merged_into__isnull=True)
        .only("number", "subject", "status", "order_ref")
        .order_by("-number")[:5]
    )
    return TicketDraft(
        conversation=conversation,
        subject=subject,
        order_ref=_mentioned_order(messages, order_numbers),
        summary="\n".join(lines),
        category=suggested[0] if suggested else None,
        category_confidence=suggested[1].confidence if suggested else None,
        category_matched=suggested[1].matched if suggested else (),
        open_tickets=open_tickets,
    )
