"""The agent's conversation list: the contacts in the agent's hands, what is unread, the last
line; a fixed number of queries; nothing of another agent's or another tenant's."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from agents.models import AgentProfile, AgentState
from callcenter.core.testing import TwoTenants, make_user, tenant_client
from conversations.models import Conversation
from conversations.services import agent_reply, conversation_resolve, inbound_message_receive
from customers.services.identity import Contact
from routing.models import Offer, OfferStatus, RoutedContact
from routing.services.contacts import contact_end, contact_transfer
from routing.services.offers import offer_accept
from routing.services.presence import agent_state_change
from routing.services.rounds import routing_round
from routing.tests.factories import customer_writes, widget_channel
from tenants.models import Tenant

PNG_LINK = {"url": "https://img.example.cn/label.png", "content_type": "image/png", "size": 10, "name": "面单.png"}


def hand_over(tenant: Tenant, count: int, *, username: str = "agent", text: str = "杯子漏水了") -> list[int]:
    """``count`` customers write in and the agent accepts them all; returns their conversations."""
    with tenant_context(tenant):
        profile = AgentProfile.objects.get(user__username=username)
        taken = RoutedContact.objects.filter(agent=profile, status="assigned").count()
        profile.chat_capacity = taken + count
        profile.save(update_fields=["chat_capacity"])
        agent_state_change(agent=profile, state=AgentState.AVAILABLE)
        contacts = [customer_writes(f"{text} {n}", name=f"顾客{n}") for n in range(count)]
        routing_round()
        for offer in Offer.objects.filter(agent=profile, status=OfferStatus.RINGING):
            offer_accept(offer_id=offer.pk, user=profile.user)
        return [contact.conversation_id or 0 for contact in contacts]


def _list(client: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/desk/conversations/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_agent_sees_the_conversations_in_hand_newest_first_with_unread_and_last_line(
    two_tenants: TwoTenants,
) -> None:
    first, second = hand_over(two_tenants.a, 2)
    agent = tenant_client(two_tenants.a, "agent")
    rows = _list(agent)
    assert [row["conversation"] for row in rows] == [second, first]  # the newest activity first
    row = rows[1]
    assert row["customer"]["name"] == "顾客0" and row["channel"] == "web_widget"
    assert row["queue"]["name"] and row["assigned_at"] and row["transfer_note"] == ""
    assert row["unread"] == 1 and row["last_seq"] == 1
    assert row["last_message"]["preview"] == "杯子漏水了 0" and row["last_message"]["sender_type"] == "customer"

    with tenant_context(two_tenants.a):
        conversation = Conversation.objects.get(pk=first)
        long_text = "请问  退款\n什么时候到账？" * 10
        inbound_message_receive(channel=widget_channel(), contact=_visitor_of(conversation), body=long_text)
    rows = _list(agent)
    assert [row["conversation"] for row in rows] == [first, second]  # the customer wrote again
    assert rows[0]["unread"] == 2 and rows[0]["last_seq"] == 2
    assert rows[0]["last_message"]["preview"] == " ".join(long_text.split())[:80]

    assert agent.post(f"/api/v1/conversations/{first}/read/", {"up_to_seq": 2},
                      content_type="application/json").status_code == 204  # fmt: skip
    with tenant_context(two_tenants.a):
        agent_reply(conversation=conversation, user=conversation_agent(first), kind="image", attachments=[PNG_LINK])
    rows = _list(agent)
    assert rows[0]["unread"] == 0
    assert rows[0]["last_message"]["kind"] == "image" and rows[0]["last_message"]["preview"] == "[image]"
    assert rows[0]["last_message"]["sender_type"] == "agent"


def _visitor_of(conversation: Conversation) -> Contact:
    identity = conversation.customer.identities.get()
    return Contact(kind=identity.kind, namespace=identity.namespace, external_id=identity.external_id)


def conversation_agent(conversation_id: int) -> Any:
    return RoutedContact.objects.get(conversation_id=conversation_id, status="assigned").agent.user  # type: ignore[union-attr]


def test_only_conversations_still_with_this_agent_are_listed(two_tenants: TwoTenants) -> None:
    resolved, transferred, kept = hand_over(two_tenants.a, 3)
    make_user(two_tenants.a, "agent-2", agent=True)
    others = hand_over(two_tenants.a, 1, username="agent-2")
    with tenant_context(two_tenants.a):
        conversation_resolve(conversation=Conversation.objects.get(pk=resolved), actor="test")
        contact_end(conversation_id=resolved)
        staff = make_user_in(two_tenants.a, "staff")
        queue_id = RoutedContact.objects.get(conversation_id=transferred, status="assigned").queue_id
        contact_transfer(conversation_id=transferred, by=staff, queue_id=queue_id, note="请售后跟进")
    assert [row["conversation"] for row in _list(tenant_client(two_tenants.a, "agent"))] == [kept]
    assert [row["conversation"] for row in _list(tenant_client(two_tenants.a, "agent-2"))] == others
    # A staff user who is not an agent has nothing in hand; another tenant's agent sees none of A's.
    assert _list(tenant_client(two_tenants.a, "staff")) == []
    assert _list(tenant_client(two_tenants.b, "agent")) == []
    assert tenant_client(two_tenants.a).get("/api/v1/desk/conversations/").status_code in (401, 403)


def make_user_in(tenant: Tenant, username: str) -> Any:
    from django.contrib.auth import get_user_model

    with tenant_context(tenant):
        return get_user_model().objects.get(username=username)


def test_the_number_of_queries_does_not_grow_with_the_conversations(two_tenants: TwoTenants) -> None:
    make_user(two_tenants.a, "agent-2", agent=True)
    hand_over(two_tenants.a, 1)
    hand_over(two_tenants.a, 5, username="agent-2")

    def queries(username: str) -> tuple[int, int]:
        client = tenant_client(two_tenants.a, username)
        with CaptureQueriesContext(connection) as captured:
            rows = _list(client)
        return len(rows), len(captured.captured_queries)

    one, many = queries("agent"), queries("agent-2")
    assert one[0] == 1 and many[0] == 5
    assert many[1] == one[1]
