"""Canned responses over the API: who may write which, who sees which, search, filled variables,
bad input that writes nothing, and isolation between tenants."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tenants.utils import tenant_context

from agents.models import AgentProfile, Team
from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, make_user, tenant_client
from channels_app.testing import app_channel_with_key, backend_client
from customers.models import Order
from workbench.models import CannedResponse

URL = "/api/v1/canned-responses/"


def post(client: Any, data: dict[str, Any]) -> Any:
    return client.post(URL, data, content_type="application/json")


def _teams(pair: TwoTenants) -> tuple[Team, Team]:
    """Agent "agent" in team 售后一组, whose lead is "lead"; "other" in 售后二组."""
    make_user(pair.a, "lead", agent=True)
    make_user(pair.a, "other", agent=True)
    with tenant_context(pair.a):
        users = get_user_model().objects
        one = Team.objects.create(name="售后一组", lead=users.get(username="lead"))
        two = Team.objects.create(name="售后二组")
        AgentProfile.objects.filter(user__username__in=["agent", "lead"]).update(team=one)
        AgentProfile.objects.filter(user__username="other").update(team=two)
    return one, two


def test_new_tenants_start_with_shared_responses(two_tenants: TwoTenants) -> None:
    found = tenant_client(two_tenants.a, "agent").get(URL).json()
    assert {r["shortcut"] for r in found} >= {"hello", "wait", "logistics", "refund", "ticket", "bye"}
    assert all(r["scope"] == "tenant" and not r["mine"] for r in found)


def test_who_writes_and_who_sees_which(two_tenants: TwoTenants) -> None:
    one, two = _teams(two_tenants)
    agent, lead, other = (tenant_client(two_tenants.a, name) for name in ["agent", "lead", "other"])
    staff = two_tenants.client("a")

    mine = post(agent, {"shortcut": "/qianshou", "title": "签收确认", "body": "{customer_name}，包裹已签收。"})
    assert mine.status_code == 201 and mine.json()["scope"] == "personal" and mine.json()["mine"]
    assert mine.json()["shortcut"] == "qianshou"
    for refused in [{"scope": "tenant"}, {"scope": "team", "team": one.pk}]:
        answer = post(agent, {"shortcut": "x", "title": "x", "body": "x"} | refused)
        assert answer.status_code == 403, refused
    for client, data, expected in [
        (lead, {"scope": "team", "team": two.pk, "shortcut": "x", "title": "x", "body": "x"}, 403),
        (lead, {"scope": "team", "team": one.pk, "shortcut": "yiz", "title": "一组", "body": "一组专用"}, 201),
        (staff, {"scope": "team", "team": two.pk, "shortcut": "erz", "title": "二组", "body": "二组专用"}, 201),
        (other, {"shortcut": "qianshou", "title": "他的", "body": "别人的"}, 201),  # same shortcut, own list
    ]:
        assert post(client, data).status_code == expected, data

    def shortcuts(client: Any) -> set[str]:
        return {r["shortcut"] for r in client.get(URL, {"limit": 50}).json()}

    shared = {"hello", "wait", "logistics", "refund", "ticket", "bye"}
    assert shortcuts(agent) == shared | {"qianshou", "yiz"}
    assert shortcuts(other) == shared | {"qianshou", "erz"}
    assert shortcuts(staff) == shared | {"yiz", "erz"}

    others_id = next(r["id"] for r in other.get(URL, {"q": "qianshou"}).json())
    assert agent.patch(f"{URL}{others_id}/", {"title": "改"}, content_type="application/json").status_code == 404
    assert agent.delete(f"{URL}{others_id}/").status_code == 404
    team_id = next(r["id"] for r in agent.get(URL, {"q": "yiz"}).json())
    assert agent.patch(f"{URL}{team_id}/", {"title": "改"}, content_type="application/json").status_code == 403
    assert lead.patch(f"{URL}{team_id}/", {"is_active": False}, content_type="application/json").status_code == 200
    assert "yiz" not in shortcuts(agent)
    assert agent.delete(f"{URL}{mine.json()['id']}/").status_code == 204
    assert "qianshou" not in shortcuts(agent)


def test_search_ranks_shortcuts_then_titles_then_text_and_fills_the_conversation(two_tenants: TwoTenants) -> None:
    _, raw = app_channel_with_key(two_tenants.a)
    sent = backend_client(two_tenants.a, raw).post(
        "/api/v1/app/messages/", {"customer": {"app_user_id": "u-1", "name": "周杰"}, "body": "快递到哪了"},
        content_type="application/json",
    )  # fmt: skip
    conversation = int(sent.json()["conversation"])
    with tenant_context(two_tenants.a):
        from conversations.models import Conversation

        customer = Conversation.objects.get(pk=conversation).customer
        now = timezone.now()
        for order_no, days in [("E100", 9), ("E200", 1)]:
            placed = now - timedelta(days=days)
            Order.objects.create(
                customer=customer, order_no=order_no, status="paid", amount=99, placed_at=placed, source_updated_at=now
            )
        AgentProfile.objects.filter(user__username="agent").update(display_name="小李")
    agent = tenant_client(two_tenants.a, "agent")
    post(agent, {"shortcut": "wl2", "title": "物流延迟", "body": "{customer_name}您好，订单 {order_no} 因天气延迟。"})
    post(agent, {"shortcut": "zz", "title": "转接", "body": "物流问题为您转接专员 {ticket_no}"})

    found = agent.get(URL, {"q": "物流", "conversation": conversation}).json()
    assert [r["shortcut"] for r in found] == ["wl2", "logistics", "zz"]  # mine, then everyone's title; text last
    assert found[0]["text"] == "周杰您好，订单 E200 因天气延迟。"
    assert found[2]["text"] == "物流问题为您转接专员 {ticket_no}"  # no ticket yet: left for the agent
    hello = agent.get(URL, {"q": "hel", "conversation": conversation}).json()[0]
    assert hello["text"].startswith("您好 周杰，我是") and "小李" in hello["text"]
    assert agent.get(URL, {"conversation": 999999}).status_code == 404
    assert agent.get(URL, {"conversation": "x"}).status_code == 404


def test_bad_input_is_refused_and_writes_nothing(two_tenants: TwoTenants) -> None:
    agent = tenant_client(two_tenants.a, "agent")
    with tenant_context(two_tenants.a):
        before = CannedResponse.objects.count()
    for bad, field in [
        ({"shortcut": "two words", "title": "t", "body": "b"}, "shortcut"),
        ({"shortcut": "", "title": "t", "body": "b"}, "shortcut"),
        ({"shortcut": "ok", "title": "", "body": "b"}, "title"),
        ({"shortcut": "ok", "title": "t", "body": "您好 {price}"}, "body"),
        ({"shortcut": "ok", "title": "t", "body": "x" * 2001}, "body"),
        ({"shortcut": "ok", "title": "t", "body": "b", "scope": "everyone"}, "scope"),
        ({"shortcut": "ok", "title": "t", "body": "b", "scope": "team", "team": 424242}, "team"),
    ]:
        answer = post(agent, bad)
        assert answer.status_code == 400 and field in answer.json()["errors"], (bad, answer.json())
    assert post(agent, {"shortcut": "hello2", "title": "t", "body": "b"}).status_code == 201
    taken = post(agent, {"shortcut": "hello2", "title": "again", "body": "b"})
    assert taken.status_code == 409 and taken.json()["code"] == "shortcut_taken"
    with tenant_context(two_tenants.a):
        assert CannedResponse.objects.count() == before + 1
    assert tenant_client(two_tenants.a).get(URL).status_code in (401, 403)


def test_another_tenants_responses_are_not_found(two_tenants: TwoTenants) -> None:
    made = post(tenant_client(two_tenants.a, "agent"), {"shortcut": "mine", "title": "A 的", "body": "只属于 A"})
    response_id = made.json()["id"]
    with tenant_context(two_tenants.b):
        CannedResponse.objects.filter(pk=response_id).delete()  # the same id may exist on B's side
    assert_cross_tenant_404(two_tenants, f"{URL}{response_id}/", method="delete")
    assert "mine" not in {r["shortcut"] for r in two_tenants.client("b", "agent").get(URL).json()}
    with tenant_context(two_tenants.a):
        assert CannedResponse.objects.filter(pk=response_id).exists()
