"""What the desk reads: the canned responses an agent may use, and the values their variables take."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from agents.models import AgentProfile
from callcenter.core.errors import NotFoundError
from callcenter.core.tenancy import require_tenant
from conversations.models import Conversation
from customers.models import Order
from tickets.models import Ticket
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
