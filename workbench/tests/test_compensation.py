"""The compensation link sent into the chat: the portal's link as the agent's reply, in the
customer's language, with the APP's deep link on the APP; sent once per double click; refused for
another customer's ticket, a bad validity, a closed chat or another tenant's ids, writing nothing."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, tenant_client
from channels_app.models import Channel, ChannelKind
from conversations.models import Conversation, Message
from conversations.services import conversation_resolve, inbound_message_receive
from customers.models import Customer
from customers.services.identity import Contact
from portal.links import portal_link_read
from tickets.models import Ticket, TicketEvent
from tickets.services.tickets import ticket_create

DEEP_LINK = "myshop://service?url={url}"


def _chat(tenant: Any, who: str, *, app: bool = False, language: str = "") -> tuple[int, Ticket]:
    """A customer writes (on the web widget, or in the shop's APP) and has a ticket; returns the
    conversation and the ticket."""
    with tenant_context(tenant):
        if app:
            channel = Channel.objects.get_or_create(
                kind=ChannelKind.APP, name="商城 APP", config={"portal_deep_link_template": DEEP_LINK}
            )[0]
            contact = Contact(kind="app_user", external_id=who, display_name=who)
        else:
            channel = Channel.objects.get_or_create(kind=ChannelKind.WEB_WIDGET, name="官网")[0]
            contact = Contact(kind="web_visitor", external_id=who, display_name=who)
        received = inbound_message_receive(channel=channel, contact=contact, body="杯子坏了，怎么补偿？")
        conversation = received.message.conversation
        if language:
            Customer.objects.filter(pk=conversation.customer_id).update(attributes={"language": language})
        ticket = ticket_create(customer=conversation.customer, subject="杯子破损补偿", actor="test")
        return conversation.pk, ticket


def _send(client: Any, conversation_id: int, data: Any) -> Any:
    return client.post(
        f"/api/v1/conversations/{conversation_id}/compensation-link/", data, content_type="application/json"
    )


def _traces(tenant: Any, conversation_id: int, ticket: Ticket) -> tuple[int, int]:
    """(agent messages in the conversation, links noted in the ticket's history)."""
    with tenant_context(tenant):
        return (
            Message.objects.filter(conversation_id=conversation_id, sender_type="agent").count(),
            TicketEvent.objects.filter(ticket=ticket, action="portal_link_sent").count(),
        )


def test_the_link_goes_to_the_customer_as_the_agents_reply_once(two_tenants: TwoTenants) -> None:
    conversation_id, ticket = _chat(two_tenants.a, "周杰")
    agent = tenant_client(two_tenants.a, "agent")
    if time.time() % 60 > 55:  # the double click below must fall within the same minute
        time.sleep(60.5 - time.time() % 60)
    before = time.time()
    sent = _send(agent, conversation_id, {"ticket": ticket.number, "ttl_hours": 48})
    assert sent.status_code == 201, sent.content
    message = sent.json()["message"]
    assert message["conversation"] == conversation_id and message["sender_type"] == "agent"
    assert message["direction"] == "out" and message["kind"] == "text"
    url = message["body"].rsplit("：", 1)[1]
    expected = f"您好，关于工单 #{ticket.number} 的补偿方案，请点击链接查看并确认（48 小时内有效）：{url}"
    assert message["body"] == expected
    assert "/portal/l/" in url and "APP" not in message["body"]
    expires = datetime.fromisoformat(sent.json()["expires_at"]).timestamp()
    assert before + 48 * 3600 - 1 <= expires <= time.time() + 48 * 3600 + 1
    with tenant_context(two_tenants.a):
        target = portal_link_read(urlsplit(url).path.split("/")[-2])
        assert target is not None and (target.ticket_id, target.expired) == (ticket.pk, False)
        event = TicketEvent.objects.get(ticket=ticket, action="portal_link_sent")
        assert event.actor is not None and event.actor.username == "agent"

    # A double click: the same message, no second link.
    again = _send(agent, conversation_id, {"ticket": ticket.number, "ttl_hours": 48})
    assert again.status_code == 200 and again.json()["message"]["id"] == message["id"]
    assert again.json()["expires_at"] == sent.json()["expires_at"]
    assert _traces(two_tenants.a, conversation_id, ticket) == (1, 1)
    thread = agent.get(f"/api/v1/conversations/{conversation_id}/messages/").json()
    assert [m["body"] for m in thread if m["sender_type"] == "agent"] == [message["body"]]


def test_in_the_app_and_in_english_with_the_default_validity(two_tenants: TwoTenants) -> None:
    conversation_id, ticket = _chat(two_tenants.a, "u-88", app=True, language="en-US")
    sent = _send(tenant_client(two_tenants.a, "agent"), conversation_id, {"ticket": ticket.number})
    assert sent.status_code == 201, sent.content
    body = sent.json()["message"]["body"]
    first, app_line = body.split("\n")
    url = first.rsplit(": ", 1)[1]
    assert first.startswith(f"Hello, about ticket #{ticket.number}: ") and "(valid for 72 hours)" in first
    assert app_line == "Open it in the APP: myshop://service?url=" + quote(url, safe="")
    assert sent.json()["message"]["channel"] == "app"


def test_refusals_write_nothing(two_tenants: TwoTenants) -> None:
    conversation_id, ticket = _chat(two_tenants.a, "周杰")
    _other_conversation, others_ticket = _chat(two_tenants.a, "李娜")
    agent = tenant_client(two_tenants.a, "agent")

    refused = _send(agent, conversation_id, {"ticket": others_ticket.number})
    assert refused.status_code == 400 and "ticket" in refused.json()["errors"]
    assert f"#{others_ticket.number}" in refused.json()["detail"]
    for bad in ({}, {"ticket": ticket.number, "ttl_hours": 0}, {"ticket": ticket.number, "ttl_hours": 721},
                {"ticket": "一号"}, {"ticket": ticket.number, "ttl_hours": "三天"}):  # fmt: skip
        response = _send(agent, conversation_id, bad)
        assert response.status_code == 400, bad
    assert _send(agent, conversation_id, {"ticket": 9999}).status_code == 404
    assert _send(agent, 999999, {"ticket": ticket.number}).status_code == 404
    assert _send(tenant_client(two_tenants.a), conversation_id, {"ticket": ticket.number}).status_code in (401, 403)
    assert _traces(two_tenants.a, conversation_id, ticket) == (0, 0)
    assert _traces(two_tenants.a, conversation_id, others_ticket) == (0, 0)

    with tenant_context(two_tenants.a):
        conversation_resolve(conversation=Conversation.objects.get(pk=conversation_id), actor="test")
    closed = _send(agent, conversation_id, {"ticket": ticket.number})
    assert closed.status_code == 409 and closed.json()["code"] == "conversation_resolved"
    assert _traces(two_tenants.a, conversation_id, ticket) == (0, 0)


def test_another_tenants_conversation_and_ticket_are_not_found(two_tenants: TwoTenants) -> None:
    for n in range(3):  # A's ids go past B's
        _chat(two_tenants.a, f"顾客{n}")
    conversation_a, ticket_a = _chat(two_tenants.a, "周杰")
    conversation_b, ticket_b = _chat(two_tenants.b, "B 的顾客")
    with tenant_context(two_tenants.b):
        assert not Conversation.objects.filter(pk=conversation_a).exists()
        assert not Ticket.objects.filter(number=ticket_a.number).exists()
    agent_b = tenant_client(two_tenants.b, "agent")
    assert _send(agent_b, conversation_a, {"ticket": ticket_b.number}).status_code == 404
    assert _send(agent_b, conversation_b, {"ticket": ticket_a.number}).status_code == 404
    assert _traces(two_tenants.b, conversation_b, ticket_b) == (0, 0)
    assert _traces(two_tenants.a, conversation_a, ticket_a) == (0, 0)
