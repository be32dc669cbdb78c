"""The agent's desk over the staff socket: state, offers arriving live, accept, presence."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django_tenants.utils import tenant_context

from agents.models import AgentProfile, AgentState, AgentStatus
from agents.presence import presence_live_sockets
from callcenter.core.testing import TwoTenants, tenant_client, ws_communicator
from routing.models import ContactStatus, RoutedContact
from routing.services.rounds import routing_round
from routing.tests.factories import customer_writes
from tenants.models import Tenant


async def _events_until(comm: WebsocketCommunicator, wanted: str, limit: int = 20) -> dict[str, Any]:
    for _ in range(limit):
        frame = await comm.receive_json_from(timeout=5)
        if frame.get("type") == wanted:
            return frame
    raise AssertionError(f"no {wanted}")


async def _desk(tenant: Tenant, username: str) -> tuple[WebsocketCommunicator, dict[str, Any]]:
    client = await sync_to_async(tenant_client)(tenant, username)
    comm = ws_communicator(tenant, client=client)
    connected, _ = await comm.connect()
    assert connected
    hello = await comm.receive_json_from()
    return comm, hello


def _in(tenant: Tenant, fn: Any, *args: Any) -> Any:
    with tenant_context(tenant):
        return fn(*args)


async def test_an_agent_goes_available_receives_an_offer_live_and_accepts_it(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    comm, hello = await _desk(tenant, "agent")
    assert hello["payload"]["agent"]["state"] == AgentState.OFFLINE and hello["payload"]["offers"] == []

    await comm.send_json_to({"type": "agent.state.set", "state": "available"})
    state = await _events_until(comm, "agent.state")
    assert state["payload"]["state"] == "available"

    contact = await sync_to_async(_in)(tenant, customer_writes, "你好，在吗？")
    await sync_to_async(_in)(tenant, routing_round)
    offer = await _events_until(comm, "offer.created")
    assert offer["payload"]["conversation"] == contact.conversation_id
    assert offer["payload"]["timeout_s"] == 15 and offer["payload"]["channel"] == "web_widget"

    await comm.send_json_to({"type": "offer.accept", "offer": offer["payload"]["offer"]})
    accepted = await _events_until(comm, "offer.accepted")
    assert accepted["payload"]["conversation"] == contact.conversation_id
    status = await sync_to_async(_in)(tenant, lambda: RoutedContact.objects.get(pk=contact.pk).status)
    assert status == ContactStatus.ASSIGNED

    # Accepting twice is refused with a clear code, not a crash.
    await comm.send_json_to({"type": "offer.accept", "offer": offer["payload"]["offer"]})
    error = await _events_until(comm, "error")
    assert error["code"] == "offer_gone"
    await comm.disconnect()


async def test_bad_frames_and_non_agents_get_clear_errors(two_tenants: TwoTenants) -> None:
    comm, _hello = await _desk(two_tenants.a, "agent")
    await comm.send_json_to({"type": "offer.accept", "offer": "12"})
    assert (await _events_until(comm, "error"))["code"] == "bad_frame"
    await comm.send_json_to({"type": "agent.state.set", "state": "busy"})
    assert (await _events_until(comm, "error"))["code"] == "invalid"
    await comm.send_json_to({"type": "agent.state.set", "state": "not_ready", "reason": "nap"})
    assert (await _events_until(comm, "error"))["code"] == "invalid"
    await comm.disconnect()
    states = await sync_to_async(_in)(two_tenants.a, lambda: list(AgentStatus.objects.values_list("state", flat=True)))
    assert set(states) <= {AgentState.OFFLINE}  # nothing was set by the refused frames

    staff, hello = await _desk(two_tenants.a, "staff")
    assert "agent" not in hello["payload"]
    await staff.send_json_to({"type": "agent.state.set", "state": "available"})
    assert (await _events_until(staff, "error"))["code"] == "forbidden"
    await staff.disconnect()


async def test_the_socket_is_the_agents_presence(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    agent_id = await sync_to_async(_in)(tenant, lambda: AgentProfile.objects.get(user__username="agent").pk)
    comm, _hello = await _desk(tenant, "agent")
    assert await sync_to_async(presence_live_sockets)(tenant_id=tenant.pk, agent_id=agent_id) == 1
    await comm.send_json_to({"type": "agent.state.set", "state": "available"})
    await _events_until(comm, "agent.state")
    await comm.disconnect()
    assert await sync_to_async(presence_live_sockets)(tenant_id=tenant.pk, agent_id=agent_id) == 0

    from routing.services.presence import agent_presence_check

    # What the check after the grace period does: no socket came back, so the agent is offline.
    assert await sync_to_async(_in)(tenant, lambda: agent_presence_check(agent_id=agent_id)) is True
    state = await sync_to_async(_in)(tenant, lambda: AgentStatus.objects.get(agent_id=agent_id).state)
    assert state == AgentState.OFFLINE


async def test_waiting_customers_are_told_their_place_in_line_and_who_serves_them(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    first = await sync_to_async(_in)(tenant, customer_writes, "在吗")
    second = await sync_to_async(_in)(tenant, customer_writes, "你好")
    watcher, _hello = await _desk(tenant, "staff")  # follows the second conversation, as its widget would
    await watcher.send_json_to({"type": "conversation.subscribe", "conversation": second.conversation_id})
    await _events_until(watcher, "subscribed")
    await sync_to_async(_in)(tenant, routing_round)  # nobody available: both wait
    position = await _events_until(watcher, "queue.position")
    assert position["payload"] == {
        "conversation": second.conversation_id,
        "queue": second.queue_id,
        "position": 2,
        "estimated_wait_s": None,  # no answers in this queue yet to estimate from
    }

    desk, _hello = await _desk(tenant, "agent")
    await desk.send_json_to({"type": "agent.state.set", "state": "available"})
    await _events_until(desk, "agent.state")
    await sync_to_async(_in)(tenant, routing_round)  # what the round the state change asked for does
    offers = [await _events_until(desk, "offer.created") for _ in range(2)]  # room for both: 3 chats
    by_conversation = {o["payload"]["conversation"]: o["payload"]["offer"] for o in offers}
    assert set(by_conversation) == {first.conversation_id, second.conversation_id}
    await desk.send_json_to({"type": "offer.accept", "offer": by_conversation[second.conversation_id]})
    assigned = await _events_until(watcher, "contact.assigned")
    assert assigned["payload"]["agent_name"] == "agent"
    await desk.disconnect()
    await watcher.disconnect()
