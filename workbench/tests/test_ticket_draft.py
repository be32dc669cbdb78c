"""A ticket from a conversation: the form starts filled in (subject, order, summary, category),
and saving it links the chat, assigns the agent and keeps the summary as the first note."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, tenant_client
from channels_app.testing import app_channel_with_key, backend_client
from conversations.models import Conversation
from customers.models import Order
from tickets.models import Ticket, TicketComment, Visibility


def _chat(pair: TwoTenants, *bodies: str) -> int:
    _, raw = app_channel_with_key(pair.a)
    shop = backend_client(pair.a, raw)
    conversation = 0
    for body in bodies:
        sent = shop.post("/api/v1/app/messages/", {"customer": {"app_user_id": "u-1", "name": "周杰"}, "body": body},
                         content_type="application/json")  # fmt: skip
        assert sent.status_code == 201, sent.content
        conversation = int(sent.json()["conversation"])
    return conversation


def test_the_draft_is_filled_from_the_chat_and_saving_it_keeps_everything(two_tenants: TwoTenants) -> None:
    conversation = _chat(two_tenants, "你好", "订单 E2002 的杯子收到就漏水了<script>", "怎么处理")
    with tenant_context(two_tenants.a):
        customer = Conversation.objects.get(pk=conversation).customer
        now = timezone.now()
        for order_no, days in [("E2001", 1), ("E2002", 5)]:
            Order.objects.create(customer=customer, order_no=order_no, status="paid", amount=59,
                                 placed_at=now - timedelta(days=days), source_updated_at=now)  # fmt: skip
        agent_id = get_user_model().objects.get(username="agent").pk
    agent = tenant_client(two_tenants.a, "agent")
    draft = agent.get(f"/api/v1/conversations/{conversation}/ticket-draft/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert draft["customer"] == {"id": customer.pk, "name": "周杰"} and draft["channel"] == "app"
    assert draft["subject"] == "你好"
    assert draft["order_ref"] == "E2002"  # the order the chat names, not the latest one
    assert draft["category"]["code"] == "damaged" and draft["category"]["matched"] == ["漏水"]
    assert draft["summary"].splitlines() == ["Customer: 你好", "Customer: 订单 E2002 的杯子收到就漏水了<script>",
                                             "Customer: 怎么处理"]  # fmt: skip
    assert draft["open_tickets"] == []

    made = agent.post(
        "/api/v1/tickets/",
        {"customer": customer.pk, "subject": "杯子漏水", "category": draft["category"]["code"],
         "order_ref": draft["order_ref"], "conversations": [conversation], "assignee": agent_id,
         "note": draft["summary"]},
        content_type="application/json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    number = made.json()["number"]
    with tenant_context(two_tenants.a):
        ticket = Ticket.objects.get(number=number)
        assert ticket.assignee_id == agent_id and list(ticket.conversations.values_list("pk", flat=True)) == [
            conversation
        ]
        note = TicketComment.objects.get(ticket=ticket)
        assert note.visibility == Visibility.INTERNAL and note.body == draft["summary"]
        assert ticket.events.filter(action="changed", field="assignee").exists()
    again = agent.get(f"/api/v1/conversations/{conversation}/ticket-draft/").json()
    assert [t["number"] for t in again["open_tickets"]] == [number]


def test_a_chat_without_words_gives_an_empty_draft_and_bad_input_writes_nothing(two_tenants: TwoTenants) -> None:
    conversation = _chat(two_tenants, "👍")
    agent = tenant_client(two_tenants.a, "agent")
    draft = agent.get(f"/api/v1/conversations/{conversation}/ticket-draft/").json()
    assert draft["category"] is None and draft["order_ref"] == "" and draft["subject"] == "👍"
    assert agent.get("/api/v1/conversations/999999/ticket-draft/").status_code == 404
    with tenant_context(two_tenants.a):
        customer_id = Conversation.objects.get(pk=conversation).customer_id
    refused = agent.post("/api/v1/tickets/", {"customer": customer_id, "subject": "x", "assignee": 999999,
                                              "note": "摘要"}, content_type="application/json")  # fmt: skip
    assert refused.status_code == 400 and "assignee" in refused.json()["errors"]
    with tenant_context(two_tenants.a):
        assert not Ticket.objects.exists() and not TicketComment.objects.exists()
    assert_cross_tenant_404(two_tenants, f"/api/v1/conversations/{conversation}/ticket-draft/")
