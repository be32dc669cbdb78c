"""The widget socket: origins per widget, visitor tokens, one conversation, resume, and bad input."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of, tenant_client, ws_communicator
from channels_app.models import Channel
from channels_app.testing import visitor_token, widget_channel
from conversations.models import Conversation, Message
from customers.models import Customer

SHOP = "https://shop.example.cn"


def _widget(tenant: Any, channel: Channel, origin: str = SHOP) -> WebsocketCommunicator:
    return ws_communicator(tenant, f"/ws/widget/?channel={channel.pk}", origin=origin)


async def _hello(comm: WebsocketCommunicator, token: str, **extra: Any) -> dict[str, Any]:
    connected, _ = await comm.connect()
    assert connected
    await comm.send_json_to({"type": "hello", "token": token, **extra})
    ready = await comm.receive_json_from(timeout=5)
    assert ready["type"] == "ready", ready
    return dict(ready["payload"])


def _count(tenant: Any, model: type) -> int:
    with tenant_context(tenant):
        return int(model.objects.count())


async def test_a_visitor_chats_and_an_agent_reply_arrives(two_tenants: TwoTenants) -> None:
    channel = await sync_to_async(widget_channel)(two_tenants.a, greeting={"zh-hans": "欢迎光临", "en": "Welcome"})
    token = await sync_to_async(visitor_token)(two_tenants.a, channel)
    comm = _widget(two_tenants.a, channel)
    ready = await _hello(comm, token)
    assert ready["conversation"] is None and ready["config"]["greeting"]["zh-hans"] == "欢迎光临"
    await comm.send_json_to({"type": "chat.start", "name": "李雷", "phone": "138 0013 8000", "topic": ""})
    started = await comm.receive_json_from(timeout=5)
    assert started["type"] == "chat.started" and started["payload"]["created"] is True
    conversation = started["payload"]["conversation"]
    await comm.send_json_to(
        {"type": "message.send", "body": "<script>alert(1)</script>尺码偏大吗", "client_msg_id": "c1"}
    )
    ack = await comm.receive_json_from(timeout=5)
    if ack["type"] == "message.created":  # the group echo may come first
        ack = await comm.receive_json_from(timeout=5)
    assert ack["type"] == "message.ack" and ack["payload"]["seq"] == 1
    assert ack["payload"]["body"] == "<script>alert(1)</script>尺码偏大吗"  # stored as text, escaped when shown

    agent = await sync_to_async(tenant_client)(two_tenants.a, "agent")
    reply = await sync_to_async(agent.post)(
        f"/api/v1/conversations/{conversation}/messages/",
        {"body": "不偏大，按平时尺码选"},
        content_type="application/json",
    )
    assert reply.status_code == 201
    while True:
        event = await comm.receive_json_from(timeout=5)
        if event["type"] == "message.created" and event["payload"]["direction"] == "out":
            break
    assert event["payload"]["body"] == "不偏大，按平时尺码选" and event["payload"]["seq"] == 2
    await comm.send_json_to({"type": "read", "up_to_seq": 2})
    await comm.disconnect()

    # A new tab (or a reconnect) resumes from the last sequence it saw.
    again = _widget(two_tenants.a, channel)
    resumed = await _hello(again, token, since=1)
    assert resumed["conversation"] == conversation and resumed["last_seq"] == 2
    page = await again.receive_json_from(timeout=5)
    assert page["type"] == "messages" and [m["seq"] for m in page["payload"]["items"]] == [2]
    await again.disconnect()
    await sync_to_async(_check_profile_and_read)(two_tenants.a)


def _check_profile_and_read(tenant: Any) -> None:
    with tenant_context(tenant):
        customer = Customer.objects.get()
        assert customer.display_name == "李雷" and customer.phones == ["+8613800138000"]
        assert Message.objects.get(seq=2).read_at is not None


async def test_twenty_concurrent_starts_make_one_conversation(two_tenants: TwoTenants) -> None:
    channel = await sync_to_async(widget_channel)(two_tenants.a)
    token = await sync_to_async(visitor_token)(two_tenants.a, channel)
    comms = [_widget(two_tenants.a, channel) for _ in range(20)]
    await asyncio.gather(*(_hello(c, token) for c in comms))
    await asyncio.gather(*(c.send_json_to({"type": "chat.start", "name": "韩梅梅"}) for c in comms))
    answers = await asyncio.gather(*(c.receive_json_from(timeout=10) for c in comms))
    assert {a["type"] for a in answers} == {"chat.started"}
    assert len({a["payload"]["conversation"] for a in answers}) == 1
    assert sum(a["payload"]["created"] for a in answers) == 1
    await asyncio.gather(*(c.disconnect() for c in comms))
    assert await sync_to_async(_count)(two_tenants.a, Conversation) == 1
    assert await sync_to_async(_count)(two_tenants.a, Customer) == 1


async def test_origins_other_than_the_widgets_sites_are_refused(two_tenants: TwoTenants) -> None:
    channel = await sync_to_async(widget_channel)(two_tenants.a)
    other = await sync_to_async(widget_channel)(two_tenants.a, origins=("https://other-shop.example.cn",))
    for origin in (
        f"http://{host_of(two_tenants.b)}",
        "https://evil.example.com",
        "null",
        "",
        "https://other-shop.example.cn",
    ):
        comm = _widget(two_tenants.a, channel, origin=origin)
        assert not (await comm.connect())[0], origin
    for path in ("/ws/widget/", "/ws/widget/?channel=abc", f"/ws/widget/?channel={channel.pk + 999}"):
        comm = ws_communicator(two_tenants.a, path, origin=SHOP)
        assert not (await comm.connect())[0], path
    # The tenant's own host is always fine; another widget's site only for that widget.
    for comm in (
        _widget(two_tenants.a, channel, origin=f"http://{host_of(two_tenants.a)}"),
        _widget(two_tenants.a, other, origin="https://other-shop.example.cn"),
    ):
        assert (await comm.connect())[0]
        await comm.disconnect()


async def test_bad_tokens_close_with_4401_and_write_nothing(two_tenants: TwoTenants) -> None:
    channel_a = await sync_to_async(widget_channel)(two_tenants.a)
    second_a = await sync_to_async(widget_channel)(two_tenants.a)
    channel_b = await sync_to_async(widget_channel)(two_tenants.b)
    token_b = await sync_to_async(visitor_token)(two_tenants.b, channel_b)
    token_second = await sync_to_async(visitor_token)(two_tenants.a, second_a)
    good = await sync_to_async(visitor_token)(two_tenants.a, channel_a)
    for frame in (
        {"type": "hello", "token": token_b},  # another tenant's visitor (same channel id, other schema)
        {"type": "hello", "token": token_second},  # another widget of the same tenant
        {"type": "hello", "token": good[:-3] + "abc"},  # forged
        {"type": "hello"},
        {"type": "message.send", "body": "hi"},  # anything before hello
        {"type": "chat.start"},
        {"type": "on_hello", "token": good},  # an unknown type as the first frame
    ):
        comm = _widget(two_tenants.a, channel_a)
        assert (await comm.connect())[0]
        await comm.send_json_to(frame)
        assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}, frame
    assert await sync_to_async(_count)(two_tenants.a, Customer) == 0


async def test_silence_after_connect_closes_the_socket(two_tenants: TwoTenants, monkeypatch: Any) -> None:
    from channels_app.consumers.widget import WidgetConsumer

    monkeypatch.setattr(WidgetConsumer, "AUTH_TIMEOUT_S", 0.2)
    channel = await sync_to_async(widget_channel)(two_tenants.a)
    comm = _widget(two_tenants.a, channel)
    assert (await comm.connect())[0]
    assert await comm.receive_output(timeout=3) == {"type": "websocket.close", "code": 4401}


async def test_bad_frames_get_clear_errors_and_write_nothing(two_tenants: TwoTenants) -> None:
    channel = await sync_to_async(widget_channel)(two_tenants.a, prechat="optional", topics=["售后", "物流"])
    token = await sync_to_async(visitor_token)(two_tenants.a, channel)
    comm = _widget(two_tenants.a, channel)
    await _hello(comm, token)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"type": "on_hello"}, "unknown_type"),  # a handler's name is not a frame type
        ({"type": "realtime_event", "event": "x", "payload": {}}, "unknown_type"),
        ({"type": "websocket.disconnect"}, "unknown_type"),
        ({"type": "message.send", "body": "x" * 4001}, "invalid"),
        ({"type": "message.send", "body": "   "}, "invalid"),
        ({"type": "message.send", "body": "bad \ud800 text"}, "invalid"),
        ({"type": "message.send", "body": 42}, "invalid"),
        ({"type": "message.send", "body": "hi", "attachments": [{"url": "javascript:alert(1)"}]}, "invalid"),
        ({"type": "message.send", "body": "hi", "client_msg_id": "x" * 65}, "invalid"),
        ({"type": "chat.start", "phone": "12345"}, "invalid"),
        ({"type": "chat.start", "name": "x" * 61}, "invalid"),
        ({"type": "chat.start", "topic": "随便"}, "invalid"),
        ({"type": "sync", "since": "0"}, "bad_frame"),
        ({"type": "hello", "token": token}, "already_authenticated"),
    ]
    for frame, code in cases:
        await comm.send_json_to(frame)
        answer = await comm.receive_json_from(timeout=5)
        assert answer["type"] == "error" and answer["code"] == code, (frame, answer)
    await comm.send_to(bytes_data=b"\xff\xfe not utf-8")
    assert (await comm.receive_json_from(timeout=5))["code"] == "bad_json"
    await comm.disconnect()
    assert await sync_to_async(_count)(two_tenants.a, Message) == 0
    assert await sync_to_async(_count)(two_tenants.a, Customer) == 0


async def test_a_visitor_never_reaches_another_visitors_conversation(two_tenants: TwoTenants) -> None:
    channel = await sync_to_async(widget_channel)(two_tenants.a)
    alice, bob = [await sync_to_async(visitor_token)(two_tenants.a, channel) for _ in range(2)]
    comm_a = _widget(two_tenants.a, channel)
    await _hello(comm_a, alice)
    await comm_a.send_json_to({"type": "message.send", "body": "我的地址是北京市海淀区", "client_msg_id": "a1"})
    ack = await comm_a.receive_json_from(timeout=5)
    comm_b = _widget(two_tenants.a, channel)
    await _hello(comm_b, bob)
    await comm_b.send_json_to({"type": "sync", "since": 0, "conversation": ack["payload"]["conversation"]})
    page = await comm_b.receive_json_from(timeout=5)
    assert page["payload"] == {"conversation": None, "items": [], "more": False}
    assert await comm_b.receive_nothing(timeout=0.3)
    await comm_a.disconnect()
    await comm_b.disconnect()


async def test_a_flood_closes_with_1008_and_other_tenants_carry_on(two_tenants: TwoTenants) -> None:
    channel_a = await sync_to_async(widget_channel)(two_tenants.a)
    channel_b = await sync_to_async(widget_channel)(two_tenants.b)
    token_a = await sync_to_async(visitor_token)(two_tenants.a, channel_a)
    token_b = await sync_to_async(visitor_token)(two_tenants.b, channel_b)
    flood = _widget(two_tenants.a, channel_a)
    await _hello(flood, token_a)
    calm = _widget(two_tenants.b, channel_b)
    await _hello(calm, token_b)
    closed = None
    for _ in range(80):
        await flood.send_json_to({"type": "ping"})
        out = await flood.receive_output(timeout=5)
        if out["type"] == "websocket.close":
            closed = out
            break
    assert closed == {"type": "websocket.close", "code": 1008}
    await calm.send_json_to({"type": "ping"})
    assert await calm.receive_json_from(timeout=5) == {"type": "pong"}
    await calm.disconnect()


async def test_a_resent_message_is_acked_again_and_stored_once(two_tenants: TwoTenants) -> None:
    """After a dropped socket the widget re-sends with the same client_msg_id: one row, the same ack."""
    channel = await sync_to_async(widget_channel)(two_tenants.a)
    token = await sync_to_async(visitor_token)(two_tenants.a, channel)
    comm = _widget(two_tenants.a, channel)
    await _hello(comm, token)
    frame = {"type": "message.send", "body": "还在吗？", "client_msg_id": "retry-1"}
    await comm.send_json_to(frame)
    first = await comm.receive_json_from(timeout=5)
    await comm.disconnect()
    again = _widget(two_tenants.a, channel)
    await _hello(again, token)
    await again.send_json_to(frame)
    second = await again.receive_json_from(timeout=5)
    assert first["type"] == second["type"] == "message.ack"
    assert second["payload"]["id"] == first["payload"]["id"] and second["payload"]["seq"] == 1
    assert second["payload"]["channel"] == "web_widget"
    await again.disconnect()
    assert await sync_to_async(_count)(two_tenants.a, Message) == 1
