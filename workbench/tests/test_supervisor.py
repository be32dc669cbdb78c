"""The supervisor view: agents' states and loads (a team lead sees their teams only), the queues,
a fixed number of queries; and ``agent.load`` on the supervisors' sockets, never another tenant's."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from agents.models import AgentProfile, AgentState, Team
from callcenter.core.testing import TEST_PASSWORD, TwoTenants, make_user, tenant_client, ws_communicator
from routing.models import Offer, OfferStatus, RoutedContact
from routing.services.contacts import contact_end, contact_transfer
from routing.services.offers import offer_accept
from routing.services.presence import agent_state_change
from routing.services.rounds import routing_round
from routing.tests.factories import customer_writes
from tenants.models import Tenant


def _agents(tenant: Tenant, *names: str, team: str | None = None, lead: str | None = None) -> None:
    """Agents in a team (made if needed), led by ``lead``, a staff user who is not an admin."""
    with tenant_context(tenant):
        users = get_user_model().objects
        group = None
        if team:
            group = Team.objects.get_or_create(name=team)[0]
            if lead:
                group.lead = users.filter(username=lead).first() or users.create_user(
                    username=lead, password=TEST_PASSWORD, is_staff=True
                )
                group.save()
        for name in names:
            user = users.create_user(username=name, password=TEST_PASSWORD)
            AgentProfile.objects.create(user=user, display_name=name, team=group)


def _view(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/supervisor/")
    assert response.status_code == 200, response.content
    return response.json()


def _offer_to(tenant: Tenant, username: str) -> int:
    """The agent becomes available and a customer's chat rings for it; returns the offer."""
    with tenant_context(tenant):
        profile = AgentProfile.objects.get(user__username=username)
        agent_state_change(agent=profile, state=AgentState.AVAILABLE)
        customer_writes("你好，在吗？")
        routing_round()
        return Offer.objects.get(agent=profile, status=OfferStatus.RINGING).pk


def _accept(tenant: Tenant, offer_id: int) -> int:
    with tenant_context(tenant):
        offer = offer_accept(offer_id=offer_id, user=Offer.objects.get(pk=offer_id).agent.user)
        return offer.contact.conversation_id or 0


def test_admins_see_every_agent_with_state_and_load_and_the_queues(two_tenants: TwoTenants) -> None:
    _agents(two_tenants.a, "王芳", "李雷", team="售后一组", lead="组长")
    admin = tenant_client(two_tenants.a, "staff")
    view = _view(admin)
    assert sorted(a["name"] for a in view["agents"]) == sorted(["agent", "王芳", "李雷"])
    assert {q["code"] for q in view["queues"]} >= {"general", "after-sales"}
    wang = next(a for a in view["agents"] if a["name"] == "王芳")
    assert wang["team"] == "售后一组" and wang["state"] == "offline" and wang["shown_state"] == "offline"
    assert wang["load"] == {} and wang["ringing"] == 0 and wang["capacity"] == {"chat": 3, "voice": 1}

    offer = _offer_to(two_tenants.a, "王芳")
    wang = next(a for a in _view(admin)["agents"] if a["name"] == "王芳")
    assert (wang["state"], wang["shown_state"]) == ("available", "reserved")
    assert wang["ringing"] == 1 and wang["load"] == {"chat": 1}
    assert wang["since"] and wang["reason"] is None
    _accept(two_tenants.a, offer)
    wang = next(a for a in _view(admin)["agents"] if a["name"] == "王芳")
    assert (wang["shown_state"], wang["ringing"], wang["load"]) == ("busy", 0, {"chat": 1})
    general = next(q for q in _view(admin)["queues"] if q["code"] == "general")
    assert general["waiting"] == 0 and general["offered"] == 0


def test_a_team_lead_sees_only_the_teams_they_lead_and_agents_see_nothing(two_tenants: TwoTenants) -> None:
    _agents(two_tenants.a, "王芳", team="售后一组", lead="组长")
    _agents(two_tenants.a, "李雷", team="物流组", lead="另一个组长")
    _agents(two_tenants.a, "张伟", team="售后二组", lead="组长")
    lead = tenant_client(two_tenants.a, "组长")
    assert {a["name"]: a["team"] for a in _view(lead)["agents"]} == {"王芳": "售后一组", "张伟": "售后二组"}
    assert tenant_client(two_tenants.a, "agent").get("/api/v1/supervisor/").status_code == 403
    assert tenant_client(two_tenants.a).get("/api/v1/supervisor/").status_code in (401, 403)
    # Another tenant's admin sees its own agents only.
    assert [a["name"] for a in _view(tenant_client(two_tenants.b, "staff"))["agents"]] == ["agent"]


def test_the_number_of_queries_does_not_grow_with_the_agents(two_tenants: TwoTenants) -> None:
    _agents(two_tenants.a, "王芳", team="售后一组", lead="组长")
    _agents(two_tenants.a, "李雷", "张伟", "赵敏", "周杰", "吴磊", team="物流组", lead="另一个组长")
    with tenant_context(two_tenants.a):
        full = AgentProfile.objects.get(display_name="李雷")
        full.chat_capacity = 1  # so the second chat rings for 王芳
        full.save(update_fields=["chat_capacity"])
    _offer_to(two_tenants.a, "李雷")
    _offer_to(two_tenants.a, "王芳")

    def queries(username: str) -> tuple[int, int]:
        client = tenant_client(two_tenants.a, username)
        with CaptureQueriesContext(connection) as captured:
            agents = _view(client)["agents"]
        return len(agents), len(captured.captured_queries)

    one, many = queries("组长"), queries("另一个组长")
    assert one[0] == 1 and many[0] == 5
    assert many[1] == one[1]


# --- agent.load on the supervisors' sockets ---------------------------------------------------


async def _socket(tenant: Tenant, username: str) -> WebsocketCommunicator:
    client = await sync_to_async(tenant_client)(tenant, username)
    comm = ws_communicator(tenant, client=client)
    connected, _code = await comm.connect()
    assert connected
    assert (await comm.receive_json_from())["type"] == "hello"
    return comm


async def _next_load(comm: WebsocketCommunicator) -> dict[str, Any]:
    for _ in range(20):
        frame = await comm.receive_json_from(timeout=5)
        if frame["type"] == "agent.load":
            return frame["payload"]
    raise AssertionError("no agent.load")


async def test_supervisors_hear_load_changes_and_another_tenant_hears_nothing(two_tenants: TwoTenants) -> None:
    await sync_to_async(make_user)(two_tenants.b, "b-lead", staff=True)
    supervisor = await _socket(two_tenants.a, "staff")
    elsewhere = await _socket(two_tenants.b, "b-lead")
    agent_id = await sync_to_async(_agent_id)(two_tenants.a, "agent")

    offer = await sync_to_async(_offer_to)(two_tenants.a, "agent")
    ringing = await _next_load(supervisor)
    assert ringing == {"agent": agent_id, "load": {"chat": 1}, "ringing": 1, "shown_state": "reserved"}

    conversation = await sync_to_async(_accept)(two_tenants.a, offer)
    accepted = await _next_load(supervisor)
    assert accepted == {"agent": agent_id, "load": {"chat": 1}, "ringing": 0, "shown_state": "busy"}

    await sync_to_async(_end)(two_tenants.a, conversation)
    ended = await _next_load(supervisor)
    assert ended["agent"] == agent_id and ended["load"] == {} and ended["ringing"] == 0

    second = await sync_to_async(_accept)(two_tenants.a, await sync_to_async(_offer_to)(two_tenants.a, "agent"))
    assert (await _next_load(supervisor))["shown_state"] == "reserved"
    assert (await _next_load(supervisor))["shown_state"] == "busy"
    await sync_to_async(_transfer)(two_tenants.a, second)
    transferred = await _next_load(supervisor)
    assert transferred == {"agent": agent_id, "load": {}, "ringing": 0, "shown_state": "available"}

    # B's supervisor socket got none of it (nor anything else from A).
    assert await elsewhere.receive_nothing(timeout=0.5)
    await supervisor.disconnect()
    await elsewhere.disconnect()


def _agent_id(tenant: Tenant, username: str) -> int:
    with tenant_context(tenant):
        return AgentProfile.objects.get(user__username=username).pk


def _end(tenant: Tenant, conversation_id: int) -> None:
    with tenant_context(tenant):
        contact_end(conversation_id=conversation_id)


def _transfer(tenant: Tenant, conversation_id: int) -> None:
    with tenant_context(tenant):
        contact = RoutedContact.objects.get(conversation_id=conversation_id, status="assigned")
        staff = get_user_model().objects.get(username="staff")
        contact_transfer(conversation_id=conversation_id, by=staff, queue_id=contact.queue_id, note="转售后")
