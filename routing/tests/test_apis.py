"""The agent desk over REST: state, offers, transfer, queues; bad input changes nothing."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from agents.models import AgentProfile, AgentState, AgentStatus
from callcenter.core.testing import TwoTenants
from routing.models import ContactStatus, Queue, RoutedContact
from routing.services.rounds import routing_round
from routing.tests.factories import customer_writes


def test_an_agent_sets_its_state_accepts_and_transfers_over_rest(two_tenants: TwoTenants) -> None:
    client = two_tenants.client("a", "agent")
    assert client.get("/api/v1/agent/").json()["agent"]["state"] == "offline"
    response = client.post("/api/v1/agent/state/", {"state": "available"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["agent"]["state"] == "available"
    with tenant_context(two_tenants.a):
        contact = customer_writes("你好")  # no rule matches: the default queue, any agent
        routing_round()
    desk = client.get("/api/v1/agent/").json()
    assert desk["agent"]["shown_state"] == "reserved"
    (offer,) = desk["offers"]
    accepted = client.post(f"/api/v1/offers/{offer['offer']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["agent"]["shown_state"] == "busy"
    assert client.post(f"/api/v1/offers/{offer['offer']}/accept/").json()["code"] == "offer_gone"

    with tenant_context(two_tenants.a):
        logistics = Queue.objects.get(code="logistics").pk
    both = client.post(
        f"/api/v1/conversations/{contact.conversation_id}/transfer/",
        {"queue": logistics, "agent": 1},
        content_type="application/json",
    )
    assert both.status_code == 400
    with tenant_context(two_tenants.a):
        contact.refresh_from_db()
        assert contact.status == ContactStatus.ASSIGNED and "transfers" not in contact.explanation
    moved = client.post(
        f"/api/v1/conversations/{contact.conversation_id}/transfer/",
        {"queue": logistics, "note": "物流问题"},
        content_type="application/json",
    )
    assert moved.status_code == 202
    with tenant_context(two_tenants.a):
        contact.refresh_from_db()
        assert contact.status == ContactStatus.WAITING and contact.queue_id == logistics
    queues = client.get("/api/v1/queues/").json()["queues"]
    assert {q["code"]: q["waiting"] for q in queues}["logistics"] == 1


def test_bad_state_input_is_refused_and_nothing_changes(two_tenants: TwoTenants) -> None:
    client = two_tenants.client("a", "agent")
    for body in ({"state": "busy"}, {"state": "not_ready", "reason": "nap"}, {}):
        response = client.post("/api/v1/agent/state/", body, content_type="application/json")
        assert response.status_code == 400, body
    with tenant_context(two_tenants.a):
        profile = AgentProfile.objects.get(user__username="agent")
        assert not AgentStatus.objects.filter(agent=profile).exclude(state=AgentState.OFFLINE).exists()
        assert not RoutedContact.objects.exists()


def test_not_ready_with_a_reason_over_rest(two_tenants: TwoTenants) -> None:
    client = two_tenants.client("a", "agent")
    response = client.post(
        "/api/v1/agent/state/", {"state": "not_ready", "reason": "training"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["agent"]["reason"] == "training"
