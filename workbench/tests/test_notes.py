"""Internal notes on a conversation: added and listed over the API, bad input that writes nothing,
isolation between tenants, and the live event that reaches agents but never the customer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from agents.models import AgentProfile
from callcenter.core.errors import ServiceError
from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, tenant_client, ws_communicator
from channels_app.testing import app_channel_with_key, backend_client, visitor_token, widget_channel
from conversations.models import Conversation
from workbench.models import ConversationNote
from workbench.services.notes import note_add

SHOP = "https://shop.example.cn"


def url(conversation: int) -> str:
    return f"/api/v1/conversations/{conversation}/notes/"


def _chat(tenant: Any, body: str = "我的快递三天没到", app_user_id: str = "u-1") -> int:
    _, raw = app_channel_with_key(tenant)
    sent = backend_client(tenant, raw).post(
        "/api/v1/app/messages/",
        {"customer": {"app_user_id": app_user_id, "name": "周杰"}, "body": body},
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    return int(sent.json()["conversation"])


def _notes(tenant: Any) -> list[tuple[int, str]]:
    with tenant_context(tenant):
        return list(ConversationNote.objects.order_by("id").values_list("conversation_id", "body"))


def test_agents_add_notes_and_read_them_oldest_first(two_tenants: TwoTenants) -> None:
    conversation = _chat(two_tenants.a)
    with tenant_context(two_tenants.a):
        AgentProfile.objects.filter(user__username="agent").update(display_name="王小明")
        agent_id = get_user_model().objects.get(username="agent").pk
        staff_id = get_user_model().objects.get(username="staff").pk
    agent, staff = tenant_client(two_tenants.a, "agent"), tenant_client(two_tenants.a, "staff")

    written = "  客户说快递放在门卫室了 <b>先别退款</b>\n"
    first = agent.post(url(conversation), {"body": written}, content_type="application/json")
    assert first.status_code == 201, first.content
    note = first.json()
    assert note["conversation"] == conversation and note["author"] == agent_id
    assert note["author_name"] == "王小明"
    assert note["body"] == "客户说快递放在门卫室了 <b>先别退款</b>"  # stripped, stored as text
    assert isinstance(note["id"], int) and note["created_at"]
    longest = " " + "注" * 2000 + " "  # 2000 characters once stripped: the most a note holds
    second = staff.post(url(conversation), {"body": longest}, content_type="application/json")
    assert second.status_code == 201, second.content
    assert second.json()["author"] == staff_id and second.json()["author_name"] == "staff"

    listed = agent.get(url(conversation))
    assert listed.status_code == 200
    assert [n["id"] for n in listed.json()] == [note["id"], second.json()["id"]]  # oldest first
    assert listed.json()[0] == note
    assert [body for _, body in _notes(two_tenants.a)] == [note["body"], "注" * 2000]

    # The customer's own API never shows notes: their messages are the conversation's only content.
    with tenant_context(two_tenants.a):
        assert Conversation.objects.get(pk=conversation).last_seq == 1


def test_bad_bodies_are_refused_with_the_field_error_and_write_nothing(two_tenants: TwoTenants) -> None:
    conversation = _chat(two_tenants.a)
    agent = tenant_client(two_tenants.a, "agent")
    for bad in ({"body": ""}, {"body": "  \n\t "}, {"body": "长" * 2001}, {}, {"body": None}, {"body": ["a"]},
                {"body": {"x": 1}}):  # fmt: skip
        refused = agent.post(url(conversation), bad, content_type="application/json")
        assert refused.status_code == 400, (bad, refused.content)
        assert refused.json()["errors"]["body"], refused.json()
    refused = agent.post(url(conversation), {"body": ""}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.json()["errors"]["body"] == ["Write a note of 1 to 2000 characters."]
    assert agent.post(url(conversation), "not json", content_type="text/plain").status_code == 415
    assert agent.post(url(999999), {"body": "好"}, content_type="application/json").status_code == 404
    assert _notes(two_tenants.a) == []

    with tenant_context(two_tenants.a):
        conv = Conversation.objects.get(pk=conversation)
        user = get_user_model().objects.get(username="agent")
        with pytest.raises(ServiceError) as raised:
            note_add(conversation=conv, user=user, body="x" * 2001)
        assert raised.value.field == "body"
    assert _notes(two_tenants.a) == []


def test_only_staff_and_agents_of_the_tenant_reach_notes(two_tenants: TwoTenants) -> None:
    _chat(two_tenants.a, app_user_id="u-0")
    conversation = _chat(two_tenants.a)  # an id that B does not have (B makes one conversation)
    agent = tenant_client(two_tenants.a, "agent")
    assert agent.post(url(conversation), {"body": "仅内部可见"}, content_type="application/json").status_code == 201
    b_conversation = _chat(two_tenants.b, "B 的客户")
    assert b_conversation != conversation

    # Tenant B's staff and agents ask for A's conversation: unknown, and nothing is written anywhere.
    assert_cross_tenant_404(two_tenants, url(conversation))
    for username in ("staff", "agent"):
        client_b = tenant_client(two_tenants.b, username)
        assert client_b.get(url(conversation)).status_code == 404
        assert client_b.post(url(conversation), {"body": "越界"}, content_type="application/json").status_code == 404
    assert _notes(two_tenants.b) == []
    assert [body for _, body in _notes(two_tenants.a)] == ["仅内部可见"]
    # B's own conversation has no notes; A's notes do not leak into it.
    assert tenant_client(two_tenants.b, "agent").get(url(b_conversation)).json() == []

    anonymous = tenant_client(two_tenants.a)
    assert anonymous.get(url(conversation)).status_code in (401, 403)
    assert anonymous.post(url(conversation), {"body": "x"}, content_type="application/json").status_code in (401, 403)
    assert len(_notes(two_tenants.a)) == 1


# --- the live event -----------------------------------------------------------------------------


async def _until(comm: WebsocketCommunicator, wanted: str, seen: list[dict[str, Any]]) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            frame = await comm.receive_json_from(timeout=10)
            seen.append(frame)
            if frame.get("type") == wanted:
                return frame


async def test_a_note_reaches_the_agents_following_the_chat_and_never_the_customer(two_tenants: TwoTenants) -> None:
    channel = await sync_to_async(widget_channel)(two_tenants.a)
    token = await sync_to_async(visitor_token)(two_tenants.a, channel)
    widget = ws_communicator(two_tenants.a, f"/ws/widget/?channel={channel.pk}", origin=SHOP)
    assert (await widget.connect())[0]
    await widget.send_json_to({"type": "hello", "token": token})
    assert (await widget.receive_json_from(timeout=5))["type"] == "ready"
    await widget.send_json_to({"type": "chat.start", "name": "李雷", "phone": "13800138000", "topic": ""})
    conversation = (await _until(widget, "chat.started", []))["payload"]["conversation"]
    await widget.send_json_to({"type": "message.send", "body": "在吗", "client_msg_id": "c1"})
    await _until(widget, "message.ack", [])

    agent = await sync_to_async(tenant_client)(two_tenants.a, "agent")
    desk = ws_communicator(two_tenants.a, client=agent)
    assert (await desk.connect())[0]
    await desk.send_json_to({"type": "conversation.subscribe", "conversation": conversation})
    await _until(desk, "subscribed", [])

    def write(path: str, body: str) -> dict[str, Any]:
        response = agent.post(path, {"body": body}, content_type="application/json")
        assert response.status_code == 201, response.content
        return dict(response.json())

    note = await sync_to_async(write)(url(conversation), "客户语气很急，优先处理")
    event = await _until(desk, "note.created", [])
    assert event["payload"] == note  # the same shape as the API's answer

    # Then a reply: the customer's socket gets the reply, and nothing about the note before it.
    await sync_to_async(write)(f"/api/v1/conversations/{conversation}/messages/", "马上为您查询")
    customer_saw: list[dict[str, Any]] = []
    while True:
        frame = await _until(widget, "message.created", customer_saw)
        if frame["payload"]["direction"] == "out":
            break
    assert "note.created" not in [f.get("type") for f in customer_saw]
    assert "客户语气很急" not in str(customer_saw)
    assert await widget.receive_nothing(timeout=0.3)
    await widget.disconnect()
    await desk.disconnect()
