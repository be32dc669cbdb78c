"""A shopper chats through the embedded widget in a real browser while an agent answers."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of
from channels_app.testing import widget_channel
from conversations.models import Conversation, Message
from customers.models import Customer
from tests.browser.helpers import off_the_browser_thread

pytestmark = pytest.mark.browser

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)


def _agent_replies(pair: TwoTenants, conversation_id: int, body: str) -> int:
    """The agent answers from another thread, as another client would: Playwright's sync API keeps
    an event loop in the test's thread, where publishing after commit (async_to_sync) cannot run."""

    def reply() -> int:
        agent: Client = pair.client("a", "agent")
        path = f"/api/v1/conversations/{conversation_id}/messages/"
        return int(agent.post(path, {"body": body}, content_type="application/json").status_code)

    return off_the_browser_thread(reply)


def _route(pair: TwoTenants) -> None:
    from routing.services.rounds import routing_round

    def run() -> None:
        with tenant_context(pair.a):
            routing_round()

    off_the_browser_thread(run)


def _after_sales_agent_takes_it(pair: TwoTenants) -> None:
    """The agent (an after-sales one of the in-house pool) goes available and accepts the offer."""
    from agents.models import AgentProfile, Pool
    from agents.services.agents import agent_skills_set

    def setup() -> None:
        with tenant_context(pair.a):
            profile = AgentProfile.objects.get(user__username="agent")
            agent_skills_set(agent=profile, skills={"after-sales": 3})
            profile.pools.set(Pool.objects.filter(code="primary"))

    def accept() -> None:
        agent: Client = pair.client("a", "agent")
        response = agent.post("/api/v1/agent/state/", {"state": "available"}, content_type="application/json")
        assert response.status_code == 200
        with tenant_context(pair.a):
            from routing.services.rounds import routing_round

            routing_round()
        (offer,) = agent.get("/api/v1/agent/").json()["offers"]
        assert agent.post(f"/api/v1/offers/{offer['offer']}/accept/").status_code == 200

    off_the_browser_thread(setup)
    off_the_browser_thread(accept)


def test_a_shopper_chats_reconnects_and_sees_the_agents_replies(
    two_tenants: TwoTenants, asgi_server: str, browser_page: Any, tmp_path: Any
) -> None:
    widget_channel(two_tenants.a, topics=["售前咨询", "退换货"], color="#e4393c")
    page = browser_page
    shop = f"http://{host_of(two_tenants.a).split(':')[0]}:{asgi_server}"
    page.goto(f"{shop}/shop-demo/")
    page.click(".launcher")
    page.fill(".prechat input[name=name]", "<b>王女士</b>")
    page.fill(".prechat input[name=phone]", "＋86 139-0013-9000")
    page.select_option(".prechat select", "退换货")
    page.click(".prechat button[type=submit]")
    page.wait_for_selector(".prechat", state="detached")
    page.fill(".compose textarea", "羽绒服能换大一码吗？")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => [...document.querySelector('#cc-chat-widget').shadowRoot.querySelectorAll('.msg.in .meta')]"
        ".some(n => n.textContent.includes(':'))"
    )
    with tenant_context(two_tenants.a):
        conversation = Conversation.objects.get()
        customer = Customer.objects.get()
        assert conversation.topic == "退换货"
        assert customer.display_name == "<b>王女士</b>" and customer.phones == ["+8613900139000"]
        assert list(Message.objects.values_list("body", flat=True)) == ["羽绒服能换大一码吗？"]

    # Routed: no agent is in yet, so the shopper is told they are next; then who serves them.
    _route(two_tenants)
    page.wait_for_selector(".msg.sys >> text=马上为您接入客服")
    _after_sales_agent_takes_it(two_tenants)
    page.wait_for_selector(".msg.sys >> text=客服 agent 正在为您服务。")
    assert page.locator(".msg.sys >> text=马上为您接入客服").count() == 0

    assert _agent_replies(two_tenants, conversation.pk, "可以的 <i>七天内</i> 免费换") == 201
    page.wait_for_selector(".msg.out >> text=可以的 <i>七天内</i> 免费换")  # markup shown as text
    # The visitor's name was shown nowhere as markup either.
    assert page.locator("#cc-chat-widget b").count() == 0

    # A picture goes through the upload endpoint, with the visitor token, and shows in the thread.
    page.set_input_files(
        ".compose input[type=file]", files=[{"name": "尺码.png", "mimeType": "image/png", "buffer": PNG_1PX}]
    )
    page.wait_for_selector(".msg.in img")
    with tenant_context(two_tenants.a):
        picture = Message.objects.get(kind="image")
        assert picture.attachments[0]["name"] == "尺码.png"

    # Offline: the agent answers meanwhile; after a reload the whole thread comes back from the database.
    assert _agent_replies(two_tenants, conversation.pk, "还有别的问题吗？") == 201
    page.reload()
    page.click(".launcher")
    page.wait_for_selector(".msg.out >> text=还有别的问题吗？")
    assert page.locator(".msg.in >> text=羽绒服能换大一码吗？").count() == 1
    assert page.locator(".prechat").count() == 0
    page.screenshot(path=str(tmp_path / "widget.png"))
    with tenant_context(two_tenants.a):
        assert Conversation.objects.count() == 1 and Message.objects.count() == 4


def test_the_widget_fills_a_phone_screen_and_speaks_english_when_asked(
    two_tenants: TwoTenants, asgi_server: str, browser_page: Any
) -> None:
    widget_channel(two_tenants.a, language="en", prechat="off")
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"http://{host_of(two_tenants.a).split(':')[0]}:{asgi_server}/shop-demo/")
    page.click(".launcher")
    box = page.locator(".panel").bounding_box()
    assert box is not None and box["width"] == 390 and box["height"] == 844
    assert re.search("How can we help", page.locator(".msg.sys").first.inner_text())
    assert page.locator(".prechat").count() == 0
