"""Linking a conversation to an existing ticket from the desk: one history line however often,
only the ticket's customer's conversations, nothing of another tenant's."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, tenant_client
from channels_app.models import Channel, ChannelKind
from conversations.models import Conversation
from conversations.services import inbound_message_receive
from customers.models import Customer
from customers.services.identity import Contact
from tickets.models import Ticket, TicketEvent
from tickets.services.tickets import ticket_create


def _chat(tenant: Any, who: str, text: str = "杯子漏水，想退货") -> Conversation:
    with tenant_context(tenant):
        channel = Channel.objects.get_or_create(kind=ChannelKind.WEB_WIDGET, name="官网")[0]
        contact = Contact(kind="web_visitor", external_id=who, display_name=who, phone="+8613812345678"[:-1] + who[-1])
        conversation = inbound_message_receive(channel=channel, contact=contact, body=text).message.conversation
        assert conversation.customer.pk  # loaded in the tenant's schema, for use outside it
        return conversation


def _ticket(tenant: Any, customer: Customer) -> Ticket:
    with tenant_context(tenant):
        return ticket_create(customer=customer, subject="杯子漏水", actor="test")


def _link(client: Any, number: int, data: Any) -> Any:
    return client.post(f"/api/v1/tickets/{number}/conversations/", data, content_type="application/json")


def _history(tenant: Any, ticket: Ticket) -> list[TicketEvent]:
    with tenant_context(tenant):
        return list(TicketEvent.objects.filter(ticket=ticket, action="conversation_linked").select_related("actor"))


def test_an_agent_links_the_chat_to_the_customers_ticket_once(two_tenants: TwoTenants) -> None:
    earlier = _chat(two_tenants.a, "周杰1")
    with tenant_context(two_tenants.a):
        earlier.status = "resolved"  # an earlier chat of the same customer, already over
        earlier.save(update_fields=["status"])
    ticket = _ticket(two_tenants.a, earlier.customer)
    now = _chat(two_tenants.a, "周杰1", "还是漏水")
    assert now.customer_id == earlier.customer_id and now.pk != earlier.pk
    agent = tenant_client(two_tenants.a, "agent")

    linked = _link(agent, ticket.number, {"conversation": now.pk})
    assert linked.status_code == 200, linked.content
    assert linked.json() == {"number": ticket.number, "conversations": [now.pk]}
    again = _link(agent, ticket.number, {"conversation": now.pk})
    assert again.status_code == 200 and again.json()["conversations"] == [now.pk]
    both = _link(agent, ticket.number, {"conversation": earlier.pk})
    assert both.json()["conversations"] == sorted([now.pk, earlier.pk])

    history = _history(two_tenants.a, ticket)
    assert [event.new_value for event in history] == [{"conversations": [now.pk]}, {"conversations": [earlier.pk]}]
    assert {event.actor.username for event in history if event.actor} == {"agent"}
    detail = agent.get(f"/api/v1/tickets/{ticket.number}/").json()
    assert sorted(detail["conversations"]) == sorted([now.pk, earlier.pk])
    history_api = agent.get(f"/api/v1/tickets/{ticket.number}/history/").json()
    assert [e["by"] for e in history_api if e["action"] == "conversation_linked"] == ["agent", "agent"]


def test_another_customers_chat_and_bad_input_are_refused_and_write_nothing(two_tenants: TwoTenants) -> None:
    mine = _chat(two_tenants.a, "周杰1")
    theirs = _chat(two_tenants.a, "李娜2")
    ticket = _ticket(two_tenants.a, mine.customer)
    agent = tenant_client(two_tenants.a, "agent")

    refused = _link(agent, ticket.number, {"conversation": theirs.pk})
    assert refused.status_code == 400 and refused.json()["code"] == "other_customer"
    assert "conversation" in refused.json()["errors"]
    for bad in ({}, {"conversation": "第一个"}, {"conversation": 0}, {"conversation": None}):
        assert _link(agent, ticket.number, bad).status_code == 400, bad
    assert _link(agent, ticket.number, {"conversation": 999999}).status_code == 404
    assert _link(agent, 999, {"conversation": mine.pk}).status_code == 404
    assert _link(tenant_client(two_tenants.a), ticket.number, {"conversation": mine.pk}).status_code in (401, 403)
    with tenant_context(two_tenants.a):
        assert not Ticket.objects.get(pk=ticket.pk).conversations.exists()
    assert _history(two_tenants.a, ticket) == []


def test_a_merged_ticket_sends_the_agent_to_the_one_that_stayed(two_tenants: TwoTenants) -> None:
    chat = _chat(two_tenants.a, "周杰1")
    duplicate, kept = _ticket(two_tenants.a, chat.customer), _ticket(two_tenants.a, chat.customer)
    agent = tenant_client(two_tenants.a, "agent")
    assert agent.post(f"/api/v1/tickets/{duplicate.number}/merge/", {"into": kept.number},
                      content_type="application/json").status_code == 200  # fmt: skip
    refused = _link(agent, duplicate.number, {"conversation": chat.pk})
    assert refused.status_code == 409 and f"#{kept.number}" in refused.json()["detail"]
    assert _history(two_tenants.a, duplicate) == []


def test_another_tenants_ticket_and_conversation_are_not_found(two_tenants: TwoTenants) -> None:
    for n in range(3):  # A's conversation ids go past any B has
        _chat(two_tenants.a, f"顾客{n}")
    chat_a = _chat(two_tenants.a, "周杰1")
    ticket_a = _ticket(two_tenants.a, chat_a.customer)
    with tenant_context(two_tenants.b):
        customer_b = Customer.objects.create(display_name="B 的顾客")
        assert not Conversation.objects.filter(pk=chat_a.pk).exists()
    ticket_b = _ticket(two_tenants.b, customer_b)
    agent_b = tenant_client(two_tenants.b, "agent")
    # B's ticket with A's conversation id, and on B's host A's ticket number (not one of B's).
    assert _link(agent_b, ticket_b.number, {"conversation": chat_a.pk}).status_code == 404
    assert _link(agent_b, ticket_a.number + 10, {"conversation": chat_a.pk}).status_code == 404
    with tenant_context(two_tenants.b):
        assert not Ticket.objects.get(pk=ticket_b.pk).conversations.exists()
    with tenant_context(two_tenants.a):
        assert not Ticket.objects.get(pk=ticket_a.pk).conversations.exists()
