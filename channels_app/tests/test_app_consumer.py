"""The APP socket /ws/app/: token in the first frame, the user's own conversation, resume, refusals."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of, tenant_client, ws_communicator
from channels_app.consumers.app import AppConsumer
from channels_app.models import Channel, ChannelKind
from channels_app.testing import app_channel_with_key, backend_client
from conversations.models import Message

CLOSED_4401 = {"type": "websocket.close", "code": 4401}


class Shop:
    """One tenant's APP channel: its backend, an APP user's token and REST client."""

    def __init__(self, pair: TwoTenants, which: str = "a", app_user_id: str = "u-1") -> None:
        self.pair, self.tenant = pair, getattr(pair, which)
        _, raw = app_channel_with_key(self.tenant)
        self.backend = backend_client(self.tenant, raw)
        issued = self.backend.post(
            "/api/v1/app/user-tokens/", {"app_user_id": app_user_id}, content_type="application/json"
        )
        assert issued.status_code == 201, issued.content
        self.token = issued.json()["token"]
        self.app = Client(HTTP_HOST=host_of(self.tenant), HTTP_AUTHORIZATION=f"AppUser {self.token}")

    def customer_writes(self, body: str) -> dict[str, Any]:
        sent = self.app.post("/api/v1/app/me/messages/", {"body": body}, content_type="application/json")
        assert sent.status_code == 201, sent.content
        return dict(sent.json())

    def agent_replies(self, conversation: int, body: str) -> dict[str, Any]:
        agent = tenant_client(self.tenant, "agent")
        sent = agent.post(
            f"/api/v1/conversations/{conversation}/messages/", {"body": body}, content_type="application/json"
        )
        assert sent.status_code == 201, sent.content
        return dict(sent.json())


def _messages_state(tenant: Any) -> list[tuple[int, str, bool]]:
    with tenant_context(tenant):
        return [(m.seq, m.direction, m.read_at is not None) for m in Message.objects.order_by("conversation", "seq")]


def _switch_off_app_channels(tenant: Any) -> None:
    with tenant_context(tenant):
        Channel.objects.filter(kind=ChannelKind.APP).update(is_active=False)


async def _open(tenant: Any, **kwargs: Any) -> WebsocketCommunicator:
    comm = ws_communicator(tenant, "/ws/app/", origin=kwargs.pop("origin", ""), **kwargs)
    connected, code = await comm.connect()
    assert connected, code
    return comm


async def _hello(comm: WebsocketCommunicator, token: str, **extra: Any) -> dict[str, Any]:
    await comm.send_json_to({"type": "hello", "token": token, **extra})
    ready = await comm.receive_json_from(timeout=3)
    assert ready["type"] == "ready", ready
    return dict(ready["payload"])


async def _next(comm: WebsocketCommunicator, frame_type: str, **match: Any) -> dict[str, Any]:
    """The next frame of ``frame_type`` whose payload has ``match``; duplicates of earlier frames are skipped."""
    while True:
        frame = await comm.receive_json_from(timeout=3)
        payload = frame.get("payload", {})
        if frame["type"] == frame_type and all(payload.get(k) == v for k, v in match.items()):
            return dict(payload)


async def test_an_agents_reply_reaches_the_signed_in_app(two_tenants: TwoTenants) -> None:
    shop = await sync_to_async(Shop)(two_tenants)
    first = await sync_to_async(shop.customer_writes)("在吗？")
    conversation = first["conversation"]
    comm = await _open(two_tenants.a)
    assert await _hello(comm, shop.token) == {"conversation": conversation, "status": "open", "last_seq": 1}
    await sync_to_async(shop.agent_replies)(conversation, "您好，请讲")
    event = await comm.receive_json_from(timeout=3)
    assert event["type"] == "message.created"
    assert (event["payload"]["seq"], event["payload"]["direction"], event["payload"]["body"]) == (
        2,
        "out",
        "您好，请讲",
    )
    await comm.send_json_to({"type": "ping"})
    assert await comm.receive_json_from() == {"type": "pong"}
    await comm.send_json_to({"type": "hello", "token": shop.token})
    assert (await comm.receive_json_from())["code"] == "already_authenticated"
    await comm.disconnect()


async def test_a_reconnect_resumes_from_since(two_tenants: TwoTenants) -> None:
    shop = await sync_to_async(Shop)(two_tenants)
    conversation = (await sync_to_async(shop.customer_writes)("订单 A123"))["conversation"]
    for body in ("收到", "正在查询"):
        await sync_to_async(shop.agent_replies)(conversation, body)
    comm = await _open(two_tenants.a)
    assert (await _hello(comm, shop.token, since=1))["last_seq"] == 3
    missed = (await comm.receive_json_from())["payload"]
    assert missed["conversation"] == conversation and missed["more"] is False
    assert [(m["seq"], m["body"]) for m in missed["items"]] == [(2, "收到"), (3, "正在查询")]
    await comm.send_json_to({"type": "sync", "since": 2})
    assert [m["seq"] for m in (await comm.receive_json_from())["payload"]["items"]] == [3]
    for bad in ("2", -1, None, True):
        await comm.send_json_to({"type": "sync", "since": bad})
        assert (await comm.receive_json_from())["code"] == "bad_frame"
    await comm.disconnect()
    # ``since`` of another (older) conversation does not skip the current one's messages.
    again = await _open(two_tenants.a)
    await _hello(again, shop.token, since=3, conversation=conversation + 1000)
    assert [m["seq"] for m in (await again.receive_json_from())["payload"]["items"]] == [1, 2, 3]
    await again.disconnect()


async def test_the_first_message_opens_a_conversation_the_socket_then_follows(two_tenants: TwoTenants) -> None:
    shop = await sync_to_async(Shop)(two_tenants)
    other_tenant = await sync_to_async(Shop)(two_tenants, "b")  # the same APP user id, another tenant
    comm = await _open(two_tenants.a)
    assert await _hello(comm, shop.token, since=0) == {"conversation": None, "status": None, "last_seq": 0}
    await sync_to_async(other_tenant.customer_writes)("B 的消息")
    assert await comm.receive_nothing(timeout=0.3)
    sent = await sync_to_async(shop.customer_writes)("第一条消息")
    opened = await _next(comm, "conversation.opened")
    assert opened["conversation"] == sent["conversation"]
    backlog = await _next(comm, "messages")
    assert [(m["seq"], m["body"]) for m in backlog["items"]] == [(1, "第一条消息")]
    await sync_to_async(shop.agent_replies)(sent["conversation"], "欢迎")
    reply = await _next(comm, "message.created", seq=2)
    assert reply["body"] == "欢迎" and reply["conversation"] == sent["conversation"]
    await comm.disconnect()


async def test_read_marks_the_agents_messages_read_and_typing_reaches_the_agent(two_tenants: TwoTenants) -> None:
    shop = await sync_to_async(Shop)(two_tenants)
    conversation = (await sync_to_async(shop.customer_writes)("你好"))["conversation"]
    for body in ("一", "二"):
        await sync_to_async(shop.agent_replies)(conversation, body)
    agent = await sync_to_async(tenant_client)(two_tenants.a, "agent")
    staff = ws_communicator(two_tenants.a, client=agent)
    assert (await staff.connect())[0]
    await staff.receive_json_from()  # hello
    await staff.send_json_to({"type": "conversation.subscribe", "conversation": conversation})
    await staff.receive_json_from()  # subscribed
    comm = await _open(two_tenants.a)
    await _hello(comm, shop.token)
    for bad in ({"up_to_seq": "2"}, {"up_to_seq": -1}, {}):
        await comm.send_json_to({"type": "read", **bad})
        assert (await comm.receive_json_from())["code"] == "bad_frame"
    assert await sync_to_async(_messages_state)(two_tenants.a) == [
        (1, "in", False),
        (2, "out", False),
        (3, "out", False),
    ]
    await comm.send_json_to({"type": "read", "up_to_seq": 2})
    read = await _next(comm, "message.read")
    assert read == {"conversation": conversation, "direction": "out", "up_to_seq": 2}
    assert await sync_to_async(_messages_state)(two_tenants.a) == [
        (1, "in", False),
        (2, "out", True),
        (3, "out", False),
    ]
    await comm.send_json_to({"type": "typing", "is_typing": True})
    typing = await _next(staff, "typing")
    assert typing == {"conversation": conversation, "sender_type": "customer", "is_typing": True}
    assert await comm.receive_nothing(timeout=0.3)  # its own typing is not echoed back
    await comm.disconnect()
    await staff.disconnect()


async def test_bad_tokens_and_frames_before_hello_close_with_4401(two_tenants: TwoTenants) -> None:
    shop = await sync_to_async(Shop)(two_tenants)
    conversation = (await sync_to_async(shop.customer_writes)("你好"))["conversation"]
    await sync_to_async(shop.agent_replies)(conversation, "在的")
    before = await sync_to_async(_messages_state)(two_tenants.a)
    tampered = shop.token[:-2] + ("AA" if not shop.token.endswith("AA") else "BB")
    for first_frame in (
        {"type": "hello", "token": "not-a-token"},
        {"type": "hello", "token": tampered},
        {"type": "hello", "token": 12345},
        {"type": "hello"},
        {"type": "hello", "token": shop.token + "x" * 1000},
        {"type": "read", "up_to_seq": 2},  # anything but hello, first
        {"type": "sync", "since": 0},
        {"type": "ping"},
    ):
        comm = await _open(two_tenants.a)
        await comm.send_json_to(first_frame)
        assert await comm.receive_output(timeout=3) == CLOSED_4401, first_frame
    # An unknown type or a frame that is not JSON, first, is not a client of ours either.
    for raw in ('{"type": "on_hello"}', "not json"):
        comm = await _open(two_tenants.a)
        await comm.send_to(text_data=raw)
        assert await comm.receive_output(timeout=3) == CLOSED_4401, raw
    # A good token of a channel that was switched off since.
    await sync_to_async(_switch_off_app_channels)(two_tenants.a)
    comm = await _open(two_tenants.a)
    await comm.send_json_to({"type": "hello", "token": shop.token})
    assert await comm.receive_output(timeout=3) == CLOSED_4401
    assert await sync_to_async(_messages_state)(two_tenants.a) == before


async def test_a_token_of_tenant_a_is_refused_on_tenant_bs_host(two_tenants: TwoTenants) -> None:
    shop = await sync_to_async(Shop)(two_tenants)
    await sync_to_async(shop.customer_writes)("你好")
    before_a = await sync_to_async(_messages_state)(two_tenants.a)
    comm = await _open(two_tenants.b)
    await comm.send_json_to({"type": "hello", "token": shop.token})
    assert await comm.receive_output(timeout=3) == CLOSED_4401
    assert await sync_to_async(_messages_state)(two_tenants.b) == []
    assert await sync_to_async(_messages_state)(two_tenants.a) == before_a


async def test_silence_after_connect_closes_with_4401(two_tenants: TwoTenants, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AppConsumer, "AUTH_TIMEOUT_S", 0.2)
    comm = await _open(two_tenants.a)
    assert await comm.receive_output(timeout=3) == CLOSED_4401
    assert await sync_to_async(_messages_state)(two_tenants.a) == []


async def test_only_no_origin_or_the_tenants_own_host_may_connect(two_tenants: TwoTenants) -> None:
    shop = await sync_to_async(Shop)(two_tenants)
    for origin in ("https://evil.example.com", f"http://{host_of(two_tenants.b)}", "null", "file://"):
        comm = ws_communicator(two_tenants.a, "/ws/app/", origin=origin)
        connected, _ = await comm.connect()
        assert not connected, origin
    # A page on the tenant's own host (an APP web view of it) may.
    comm = await _open(two_tenants.a, origin=f"http://{host_of(two_tenants.a)}")
    assert (await _hello(comm, shop.token))["conversation"] is None
    await comm.disconnect()
    assert await sync_to_async(_messages_state)(two_tenants.a) == []


async def test_two_sockets_of_one_user_both_hear_a_reply(two_tenants: TwoTenants) -> None:
    shop = await sync_to_async(Shop)(two_tenants)
    conversation = (await sync_to_async(shop.customer_writes)("两台手机"))["conversation"]
    phone, tablet = await _open(two_tenants.a), await _open(two_tenants.a)
    await asyncio.gather(_hello(phone, shop.token), _hello(tablet, shop.token))
    await sync_to_async(shop.agent_replies)(conversation, "好的")
    heard = await asyncio.gather(_next(phone, "message.created", seq=2), _next(tablet, "message.created", seq=2))
    assert [h["body"] for h in heard] == ["好的", "好的"]
    await phone.disconnect()
    await tablet.disconnect()
