"""The staff socket: tenant from the host, origin checks, sessions per tenant, tenant-bound queries."""

from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.conf import settings

from callcenter.core.testing import TwoTenants, host_of, tenant_client, ws_communicator


async def test_each_tenants_consumer_runs_in_its_own_schema(two_tenants: TwoTenants) -> None:
    client_a = await sync_to_async(tenant_client)(two_tenants.a, "agent")
    client_b = await sync_to_async(tenant_client)(two_tenants.b, "staff")
    comm_a = ws_communicator(two_tenants.a, client=client_a)
    comm_b = ws_communicator(two_tenants.b, client=client_b)
    # Interleave the two handshakes and their database work.
    (ok_a, _), (ok_b, _) = await asyncio.gather(comm_a.connect(), comm_b.connect())
    assert ok_a and ok_b
    hello_a, hello_b = await asyncio.gather(comm_a.receive_json_from(), comm_b.receive_json_from())
    assert hello_a["payload"]["schema"] == "t_tenant_a" and hello_a["payload"]["is_agent"] is True
    assert hello_b["payload"]["schema"] == "t_tenant_b" and hello_b["payload"]["is_agent"] is False
    # agent of A holds a seat; nobody on B does.
    assert hello_a["payload"]["seats_in_use"] == 1
    assert hello_b["payload"]["seats_in_use"] == 0
    for _ in range(3):
        await asyncio.gather(comm_a.send_json_to({"type": "seats.get"}), comm_b.send_json_to({"type": "seats.get"}))
        seats_a, seats_b = await asyncio.gather(comm_a.receive_json_from(), comm_b.receive_json_from())
        assert seats_a["payload"]["seats_in_use"] == 1 and seats_b["payload"]["seats_in_use"] == 0
    await comm_a.disconnect()
    await comm_b.disconnect()


async def test_a_session_from_tenant_a_is_refused_on_tenant_b(two_tenants: TwoTenants) -> None:
    client_a = await sync_to_async(tenant_client)(two_tenants.a, "staff")
    comm = ws_communicator(two_tenants.b, client=client_a)  # A's cookie sent to B's host
    connected, code = await comm.connect()
    assert not connected and code == 4401


async def test_foreign_origins_are_refused(two_tenants: TwoTenants) -> None:
    client_a = await sync_to_async(tenant_client)(two_tenants.a, "staff")
    for origin in (f"http://{host_of(two_tenants.b)}", "http://evil.example.com", "null", ""):
        comm = ws_communicator(two_tenants.a, client=client_a, origin=origin)
        connected, _ = await comm.connect()
        assert not connected, origin


async def test_a_registered_origin_is_accepted(two_tenants: TwoTenants) -> None:
    from tenants.models import TenantOrigin

    await TenantOrigin.objects.acreate(tenant=two_tenants.a, origin="https://shop.example.cn")
    client_a = await sync_to_async(tenant_client)(two_tenants.a, "staff")
    comm = ws_communicator(two_tenants.a, client=client_a, origin="https://shop.example.cn")
    connected, _ = await comm.connect()
    assert connected
    await comm.disconnect()
    # B did not register it.
    client_b = await sync_to_async(tenant_client)(two_tenants.b, "staff")
    comm_b = ws_communicator(two_tenants.b, client=client_b, origin="https://shop.example.cn")
    assert (await comm_b.connect())[0] is False


async def test_anonymous_and_unknown_hosts_are_refused(two_tenants: TwoTenants) -> None:
    connected, code = await ws_communicator(two_tenants.a).connect()
    assert not connected and code == 4401
    comm = ws_communicator(two_tenants.a, host="ghost.localhost")
    assert (await comm.connect())[0] is False


async def test_unknown_frame_types_are_refused_and_abuse_closes_with_1008(two_tenants: TwoTenants) -> None:
    client_a = await sync_to_async(tenant_client)(two_tenants.a, "staff")
    comm = ws_communicator(two_tenants.a, client=client_a)
    assert (await comm.connect())[0]
    await comm.receive_json_from()  # hello
    await comm.send_json_to({"type": "disconnect"})  # a handler name, but not an allowed frame type
    assert (await comm.receive_json_from())["code"] == "unknown_type"
    await comm.send_to(text_data="{not json")
    assert (await comm.receive_json_from())["code"] == "bad_json"
    await comm.send_to(text_data="x" * (settings.WEBSOCKET_MAX_FRAME_BYTES + 1))
    closed = await comm.receive_output()
    assert closed == {"type": "websocket.close", "code": 1008}


async def test_suspension_closes_open_sockets(two_tenants: TwoTenants) -> None:
    from tenants.services.resellers import tenant_suspend

    client_a = await sync_to_async(tenant_client)(two_tenants.a, "staff")
    comm = ws_communicator(two_tenants.a, client=client_a)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    await sync_to_async(tenant_suspend)(tenant=two_tenants.a, reason="欠费 unpaid", actor="operator")
    event = await comm.receive_json_from(timeout=5)
    assert event == {"type": "tenant.suspended", "payload": {"reason": "欠费 unpaid"}}
    assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}
    # And a new socket is refused while suspended.
    assert (await ws_communicator(two_tenants.a, client=client_a).connect())[0] is False


async def test_too_many_frames_close_the_socket_with_1008(two_tenants: TwoTenants, settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBSOCKET_MAX_FRAMES_PER_10S = 5
    client_a = await sync_to_async(tenant_client)(two_tenants.a, "staff")
    comm = ws_communicator(two_tenants.a, client=client_a)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    for _ in range(5):
        await comm.send_json_to({"type": "ping"})
        assert (await comm.receive_json_from())["type"] == "pong"
    await comm.send_json_to({"type": "ping"})
    assert await comm.receive_output() == {"type": "websocket.close", "code": 1008}


async def test_a_users_sockets_share_one_frame_budget(two_tenants: TwoTenants, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import time

    from callcenter.core import throttle

    frozen = time.time()
    monkeypatch.setattr(throttle, "_now", lambda: frozen)  # stay inside one counting window
    settings.WEBSOCKET_MAX_FRAMES_PER_USER_PER_10S = 4
    client_a = await sync_to_async(tenant_client)(two_tenants.a, "staff")
    first, second = ws_communicator(two_tenants.a, client=client_a), ws_communicator(two_tenants.a, client=client_a)
    for comm in (first, second):
        assert (await comm.connect())[0]
        await comm.receive_json_from()
    for comm in (first, second, first, second):
        await comm.send_json_to({"type": "ping"})
        assert (await comm.receive_json_from())["type"] == "pong"
    await second.send_json_to({"type": "ping"})
    assert await second.receive_output() == {"type": "websocket.close", "code": 1008}
    # Another user of the same tenant is not affected.
    client_agent = await sync_to_async(tenant_client)(two_tenants.a, "agent")
    other = ws_communicator(two_tenants.a, client=client_agent)
    assert (await other.connect())[0]
    await other.receive_json_from()
    await other.send_json_to({"type": "ping"})
    assert (await other.receive_json_from())["type"] == "pong"
    await other.disconnect()
    await first.disconnect()


async def test_an_agent_follows_a_conversation_and_sees_its_messages(two_tenants: TwoTenants) -> None:
    from channels_app.testing import app_channel_with_key, backend_client

    _, raw = await sync_to_async(app_channel_with_key)(two_tenants.a)
    backend = backend_client(two_tenants.a, raw)

    def customer_writes(body: str) -> int:
        sent = backend.post(
            "/api/v1/app/messages/", {"customer": {"app_user_id": "u-1"}, "body": body}, content_type="application/json"
        )
        return int(sent.json()["conversation"])

    conversation = await sync_to_async(customer_writes)("第一条")
    agent = await sync_to_async(tenant_client)(two_tenants.a, "agent")
    comm = ws_communicator(two_tenants.a, client=agent)
    assert (await comm.connect())[0]
    await comm.receive_json_from()  # hello
    await comm.send_json_to({"type": "conversation.subscribe", "conversation": conversation})
    assert await comm.receive_json_from() == {
        "type": "subscribed",
        "payload": {"conversation": conversation, "last_seq": 1},
    }
    await sync_to_async(customer_writes)("第二条")
    event = await comm.receive_json_from(timeout=5)
    assert event["type"] == "message.created" and event["payload"]["body"] == "第二条"
    assert event["payload"]["seq"] == 2
    # Unknown ids, ids as strings, and ids that only exist in another tenant are refused alike.
    for bad in (conversation + 1000, str(conversation), None):
        await comm.send_json_to({"type": "conversation.subscribe", "conversation": bad})
        assert (await comm.receive_json_from())["type"] == "error"
    await comm.disconnect()
    client_b = await sync_to_async(tenant_client)(two_tenants.b, "agent")
    comm_b = ws_communicator(two_tenants.b, client=client_b)
    assert (await comm_b.connect())[0]
    await comm_b.receive_json_from()
    await comm_b.send_json_to({"type": "conversation.subscribe", "conversation": conversation})
    assert (await comm_b.receive_json_from())["code"] == "not_found"
    await comm_b.disconnect()
