"""End to end on real workers: a customer writes in, a Celery worker routes the new contact, the
right agent's socket rings, and when the offer rings out it moves to the next agent."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django_tenants.utils import tenant_context

from agents.models import AgentProfile, AgentState, AgentStatus
from callcenter.core.testing import TwoTenants, make_user, tenant_client, ws_communicator
from conversations.services import inbound_message_receive
from customers.services.identity import Contact
from routing.models import Queue
from routing.tests.factories import widget_channel


async def _event(comm: WebsocketCommunicator, wanted: str, timeout: float = 20) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            frame = await comm.receive_json_from(timeout=timeout)
            if frame.get("type") == wanted:
                return frame["payload"]


async def _available_desk(two_tenants: TwoTenants, username: str) -> WebsocketCommunicator:
    client = await sync_to_async(tenant_client)(two_tenants.a, username)
    comm = ws_communicator(two_tenants.a, client=client)
    assert (await comm.connect())[0]
    await comm.receive_json_from()  # hello
    await comm.send_json_to({"type": "agent.state.set", "state": "available"})
    await _event(comm, "agent.state")
    return comm


def _setup(two_tenants: TwoTenants) -> None:
    make_user(two_tenants.a, "courier", agent=True)
    with tenant_context(two_tenants.a):
        from agents.services.agents import agent_skills_set

        for username, level in (("agent", 5), ("courier", 2)):
            agent_skills_set(agent=AgentProfile.objects.get(user__username=username), skills={"logistics": level})
        Queue.objects.filter(code="logistics").update(offer_timeout_seconds=5, strategy="highest_proficiency")


def _customer_writes(two_tenants: TwoTenants, text: str) -> int:
    with tenant_context(two_tenants.a):
        received = inbound_message_receive(
            channel=widget_channel(), contact=Contact(kind="web_visitor", external_id="v-flow"), body=text
        )
        return received.message.conversation_id


async def test_a_new_chat_rings_the_best_agent_then_the_next_when_it_rings_out(
    two_tenants: TwoTenants, celery_worker: object
) -> None:
    await sync_to_async(_setup)(two_tenants)
    expert = await _available_desk(two_tenants, "agent")
    courier = await _available_desk(two_tenants, "courier")

    conversation = await sync_to_async(_customer_writes)(two_tenants, "我的快递三天没到了")
    offer = await _event(expert, "offer.created")  # the logistics expert first (highest proficiency)
    assert offer["conversation"] == conversation and offer["queue"]["name"] in ("物流", "logistics")

    withdrawn = await _event(expert, "offer.withdrawn", timeout=25)  # nobody answered in 5 s
    assert withdrawn["reason"] == "timeout"
    second = await _event(courier, "offer.created", timeout=25)
    assert second["conversation"] == conversation
    await courier.send_json_to({"type": "offer.accept", "offer": second["offer"]})
    assert (await _event(courier, "offer.accepted"))["conversation"] == conversation

    def expert_state() -> str:
        with tenant_context(two_tenants.a):
            return AgentStatus.objects.get(agent__user__username="agent").state

    assert await sync_to_async(expert_state)() == AgentState.NOT_READY  # "missed"
    await expert.disconnect()
    await courier.disconnect()


def _vip_setup(two_tenants: TwoTenants) -> None:
    with tenant_context(two_tenants.a):
        from agents.models import Pool
        from agents.services.agents import agent_skills_set
        from routing.models import QueueStep

        agent_skills_set(agent=AgentProfile.objects.get(user__username="agent"), skills={"after-sales": 3})
        AgentProfile.objects.get(user__username="agent").pools.set(Pool.objects.filter(code="primary"))
        QueueStep.objects.filter(queue__code="vip-after-sales", after_seconds=60).update(after_seconds=2)
        QueueStep.objects.filter(queue__code="vip-after-sales").update(skills="after-sales:1")
        QueueStep.objects.filter(queue__code="vip-after-sales", after_seconds=0).update(skills="vip:1 after-sales:1")


def _vip_writes(two_tenants: TwoTenants) -> int:
    with tenant_context(two_tenants.a):
        received = inbound_message_receive(
            channel=widget_channel(),
            contact=Contact(kind="web_visitor", external_id="v-vip", tier_code="vip"),
            body="我要退货",
        )
        return received.message.conversation_id


async def test_a_waiting_vip_contact_relaxes_on_time_without_the_sweep(
    two_tenants: TwoTenants, celery_worker: object
) -> None:
    """No VIP agent is in: after the queue's relax time (2 s here) an after-sales agent is offered
    it, driven by the round's own timer (no beat runs in tests)."""
    await sync_to_async(_vip_setup)(two_tenants)
    desk = await _available_desk(two_tenants, "agent")
    started = asyncio.get_running_loop().time()
    conversation = await sync_to_async(_vip_writes)(two_tenants)
    offer = await _event(desk, "offer.created", timeout=15)
    waited = asyncio.get_running_loop().time() - started
    assert offer["conversation"] == conversation and 1.9 <= waited < 8, waited
    await desk.disconnect()
