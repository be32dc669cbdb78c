"""Wrap-up codes and ending a conversation with one: the defaults every tenant starts with (in
Chinese and English), who may end which conversation, bad input that writes nothing, isolation
between tenants, and the agent going into after-contact work once it ends."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django_tenants.utils import tenant_context

from agents.models import AgentProfile, AgentState, AgentStatus
from callcenter.core.errors import ConflictError
from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, make_user, tenant_client
from conversations.models import Conversation, ConversationStatus
from routing.models import ContactStatus, Offer, OfferStatus, Queue, RoutedContact
from routing.services.offers import offer_accept
from routing.services.rounds import routing_round
from routing.tests.factories import agent as routing_agent
from routing.tests.factories import customer_writes
from workbench.models import ConversationWrapUp, WrapUpCode
from workbench.services.defaults import DEFAULT_WRAP_UP_CODES
from workbench.services.wrap_up import conversation_wrap_up

CODES = "/api/v1/wrap-up-codes/"


def url(conversation: int) -> str:
    return f"/api/v1/conversations/{conversation}/wrap-up/"


def post(client: Any, conversation: int, data: Any, **extra: Any) -> Any:
    return client.post(url(conversation), data, content_type="application/json", **extra)


def _held_by_agent(tenant: Any, text: str = "我要退货，尺码不合适") -> int:
    """A customer writes in and the contact is now with "agent" (王小明); returns the conversation."""
    with tenant_context(tenant):
        Queue.objects.update(after_work_seconds=60)  # long enough to see, short of the test's end
        profile = routing_agent("agent", {"after-sales": 3})
        AgentProfile.objects.filter(pk=profile.pk).update(display_name="王小明")
        contact = customer_writes(text)
        routing_round()
        offer = Offer.objects.get(contact=contact, status=OfferStatus.RINGING)
        offer_accept(offer_id=offer.pk, user=get_user_model().objects.get(username="agent"))
        return int(contact.conversation_id)


def _state(tenant: Any, conversation: int) -> tuple[str, int]:
    with tenant_context(tenant):
        return Conversation.objects.get(pk=conversation).status, ConversationWrapUp.objects.count()


@pytest.fixture
def held(two_tenants: TwoTenants) -> int:
    return _held_by_agent(two_tenants.a)


def test_new_tenants_start_with_the_default_codes_in_both_languages(two_tenants: TwoTenants) -> None:
    agent = tenant_client(two_tenants.a, "agent")
    zh = agent.get(CODES, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200
    assert zh.json() == [{"code": code, "name": name} for code, name, _ in DEFAULT_WRAP_UP_CODES]
    assert zh.json()[0] == {"code": "resolved", "name": "问题已解决"}
    en = agent.get(CODES, HTTP_ACCEPT_LANGUAGE="en").json()
    assert en == [{"code": code, "name": name_en} for code, _, name_en in DEFAULT_WRAP_UP_CODES]
    assert en[-1] == {"code": "other", "name": "Other"}

    # Each tenant's codes are its own: B switches one off and reorders another, A sees no change.
    with tenant_context(two_tenants.b):
        WrapUpCode.objects.filter(code="compensated").update(is_active=False)
        WrapUpCode.objects.filter(code="other").update(position=0)
    codes_b = [c["code"] for c in tenant_client(two_tenants.b, "agent").get(CODES).json()]
    assert codes_b[0] == "other" and "compensated" not in codes_b and len(codes_b) == 6
    assert [c["code"] for c in agent.get(CODES).json()] == [c for c, _, _ in DEFAULT_WRAP_UP_CODES]
    assert tenant_client(two_tenants.a).get(CODES).status_code in (401, 403)


def test_admins_edit_their_codes_in_the_admin(two_tenants: TwoTenants) -> None:
    staff = tenant_client(two_tenants.a, "staff")
    page = staff.get("/admin/workbench/wrapupcode/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "已受理退换货" in page.content.decode()
    with tenant_context(two_tenants.a):
        WrapUpCode.objects.create(code="vip_care", name="VIP 关怀", name_en="VIP care", position=5)
        code_id = WrapUpCode.objects.get(code="vip_care").pk
    assert staff.get(f"/admin/workbench/wrapupcode/{code_id}/change/").status_code == 200
    assert_cross_tenant_404(two_tenants, f"/admin/workbench/wrapupcode/{code_id}/change/")
    assert tenant_client(two_tenants.a, "agent").get("/admin/workbench/wrapupcode/").status_code == 302  # to sign in


def test_the_migration_fills_the_codes_of_existing_tenants_once(two_tenants: TwoTenants) -> None:
    from importlib import import_module

    fill = import_module("workbench.migrations.0002_notes_wrap_up").fill_default_wrap_up_codes
    with tenant_context(two_tenants.a):
        WrapUpCode.objects.all().delete()  # a tenant made before wrap-up codes existed
        WrapUpCode.objects.create(code="resolved", name="已解决（自定义）", name_en="Done", position=99)
        fill(apps, None)
        fill(apps, None)
        assert WrapUpCode.objects.count() == len(DEFAULT_WRAP_UP_CODES)
        assert WrapUpCode.objects.get(code="resolved").name == "已解决（自定义）"  # the tenant's own kept
        assert WrapUpCode.objects.get(code="no_reply").name == "客户未回复"


def test_wrapping_up_resolves_the_chat_and_the_agent_goes_into_after_contact_work(
    held: int, two_tenants: TwoTenants, celery_worker: object
) -> None:
    agent = tenant_client(two_tenants.a, "agent")
    given = {"code": "return_accepted", "note": " 已寄回，顺丰 SF1234567890 "}
    done = post(agent, held, given, HTTP_ACCEPT_LANGUAGE="en")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["conversation"] == held and body["status"] == "resolved"
    wrap_up = body["wrap_up"]
    assert {k: wrap_up[k] for k in ("code", "name", "note", "agent_name")} == {
        "code": "return_accepted",
        "name": "Return or exchange accepted",
        "note": "已寄回，顺丰 SF1234567890",
        "agent_name": "王小明",
    }
    assert wrap_up["created_at"]
    with tenant_context(two_tenants.a):
        stored = ConversationWrapUp.objects.select_related("code", "agent").get()
        assert stored.conversation_id == held and stored.code.code == "return_accepted"
        assert stored.agent is not None and stored.agent.username == "agent"
        assert Conversation.objects.get(pk=held).resolved_at is not None

    # The resolution's domain event reaches routing on the worker: the contact ends and the
    # agent wraps up for the queue's after-contact seconds before the next offer.
    def after_work() -> tuple[str, str]:
        with tenant_context(two_tenants.a):
            status = AgentStatus.objects.get(agent__user__username="agent")
            return status.state, RoutedContact.objects.get(conversation_id=held).status

    deadline = time.monotonic() + 20
    while after_work() != (AgentState.AFTER_WORK, ContactStatus.ENDED) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert after_work() == (AgentState.AFTER_WORK, ContactStatus.ENDED)

    # Ending it again is a conflict, and writes nothing.
    again = post(agent, held, {"code": "resolved"})
    assert again.status_code == 409 and again.json()["code"] == "already_ended"
    again_en = post(agent, held, {"code": "resolved"}, HTTP_ACCEPT_LANGUAGE="en")
    assert again_en.json()["detail"] == "This conversation has already ended."
    assert _state(two_tenants.a, held) == (ConversationStatus.RESOLVED, 1)


def test_bad_input_is_refused_and_writes_nothing(held: int, two_tenants: TwoTenants) -> None:
    with tenant_context(two_tenants.a):
        WrapUpCode.objects.filter(code="compensated").update(is_active=False)
    agent = tenant_client(two_tenants.a, "agent")
    for bad, field in [
        ({"code": "no-such-code"}, "code"),
        ({"code": "compensated"}, "code"),  # switched off
        ({"code": ""}, "code"),
        ({}, "code"),
        ({"code": ["resolved"]}, "code"),
        ({"code": "resolved", "note": "长" * 501}, "note"),
        ({"code": "resolved", "note": None}, "note"),
    ]:
        refused = post(agent, held, bad)
        assert refused.status_code == 400, (bad, refused.content)
        assert refused.json()["errors"][field], refused.json()
    assert post(agent, held, {"code": "nope"}, HTTP_ACCEPT_LANGUAGE="en").json()["errors"]["code"] == [
        "Choose one of the wrap-up codes."
    ]
    assert post(agent, 999999, {"code": "resolved"}).status_code == 404
    assert _state(two_tenants.a, held) == (ConversationStatus.OPEN, 0)
    with tenant_context(two_tenants.a):
        assert RoutedContact.objects.get(conversation_id=held).status == ContactStatus.ASSIGNED

    # A note of exactly 500 characters (Chinese counts one per character) is fine.
    done = post(agent, held, {"code": "resolved", "note": "备" * 500})
    assert done.status_code == 200, done.content
    assert done.json()["wrap_up"]["note"] == "备" * 500


def test_only_the_agent_holding_it_or_a_supervisor_ends_it_and_other_tenants_get_404(
    two_tenants: TwoTenants,
) -> None:
    with tenant_context(two_tenants.a):
        customer_writes("先占一个编号")  # A's held conversation gets an id tenant B does not have
    held = _held_by_agent(two_tenants.a, "我要换货")
    make_user(two_tenants.a, "other", agent=True)

    # Another agent of the same tenant: not theirs.
    refused = post(tenant_client(two_tenants.a, "other"), held, {"code": "resolved"}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403 and refused.json()["code"] == "not_yours"
    # Tenant B's staff and agents: no such conversation, whatever they send.
    b_conversation = _held_by_agent(two_tenants.b)
    assert b_conversation != held
    assert_cross_tenant_404(two_tenants, url(held), method="post")
    for username in ("staff", "agent"):
        assert post(tenant_client(two_tenants.b, username), held, {"code": "resolved"}).status_code == 404
    assert _state(two_tenants.a, held) == (ConversationStatus.OPEN, 0)
    assert _state(two_tenants.b, b_conversation) == (ConversationStatus.OPEN, 0)
    assert tenant_client(two_tenants.a).post(url(held), {"code": "resolved"}).status_code in (401, 403)

    # A supervisor (staff) may end any conversation of their tenant.
    done = post(tenant_client(two_tenants.a, "staff"), held, {"code": "no_reply"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert done.status_code == 200, done.content
    assert done.json()["wrap_up"]["name"] == "客户未回复" and done.json()["wrap_up"]["agent_name"] == "staff"
    assert _state(two_tenants.a, held) == (ConversationStatus.RESOLVED, 1)
    assert _state(two_tenants.b, b_conversation) == (ConversationStatus.OPEN, 0)


def test_two_wrap_ups_at_once_end_the_conversation_once(held: int, two_tenants: TwoTenants) -> None:
    def wrap_up(code: str) -> str:
        try:
            with tenant_context(two_tenants.a):
                conversation = Conversation.objects.get(pk=held)
                user = get_user_model().objects.get(username="agent")
                conversation_wrap_up(conversation=conversation, user=user, code=code)
            return "ok"
        except ConflictError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(wrap_up, ["resolved", "other"]))
    assert outcomes == ["already_ended", "ok"]
    assert _state(two_tenants.a, held) == (ConversationStatus.RESOLVED, 1)
