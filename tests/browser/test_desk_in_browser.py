"""The agent's desk in a real browser, on the whole product: uvicorn (HTTP and sockets), a Celery
worker routing contacts, the shopper's widget in a second browser context.

The customer used here is known from before: an earlier WeChat chat and a return request from
the shop's APP, tied together (and to this web visitor) by one verified phone number, so the
screen pop has a story to show.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import tenant_context

from callcenter.core.testing import TEST_PASSWORD, TwoTenants, host_of
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.helpers import off_the_browser_thread, screenshot
from workbench.testing import STORY_PHONE, customer_with_story, desk_agents, visitor_writes

pytestmark = pytest.mark.browser

DESK_VIEWPORT = {"width": 1366, "height": 768}
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)


# --- browser plumbing -------------------------------------------------------------------------


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _desk(browser: Any, tenant: Any, port: str, username: str, language: str = "zh-hans") -> Any:
    """A signed-in agent's desk, available, at 1366x768."""
    context = browser.new_context(viewport=DESK_VIEWPORT, locale="zh-CN" if language == "zh-hans" else "en-US")
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = f"http://{host_of(tenant).split(':')[0]}:{port}"
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page.goto(f"{base}/desk/")
    page.wait_for_selector("[data-testid=connection].c-open")
    page.select_option("[data-testid=state-select]", "available")
    page.wait_for_selector("[data-testid=shown-state].s-available")
    return page


def _offer(page: Any) -> Any:
    return page.wait_for_selector("[data-testid=offers] .offer", timeout=45_000)


# --- the tests --------------------------------------------------------------------------------


def test_an_agent_takes_a_widget_chat_from_offer_to_wrap_up(
    two_tenants: TwoTenants, asgi_server: str, browser: Any, celery_worker: object, tmp_path: Path
) -> None:
    from channels_app.adapters.widget.tokens import visitor_token_issue
    from channels_app.testing import widget_channel
    from conversations.models import Message
    from tickets.models import Ticket
    from workbench.models import ConversationWrapUp

    tenant = two_tenants.a
    off_the_browser_thread(lambda: desk_agents(tenant))
    channel = widget_channel(tenant, prechat="off")
    with tenant_context(tenant):
        visitor_id, token = visitor_token_issue(channel=channel)
    customer_id = off_the_browser_thread(lambda: customer_with_story(tenant, visitor_id))

    desk = _desk(browser, tenant, asgi_server, "agent")
    courier = _desk(browser, tenant, asgi_server, "courier")
    screenshot(desk, tmp_path, "desk-empty")

    # The shopper, on the shop's site, writes in the widget.
    shop_base = f"http://{host_of(tenant).split(':')[0]}:{asgi_server}"
    shopper = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN").new_page()
    shopper.set_default_timeout(20_000)
    key = f"cc-widget:{shop_base}:{channel.pk}"
    shopper.context.add_init_script(
        f"if (!localStorage.getItem({json.dumps(key)})) localStorage.setItem({json.dumps(key)}, "
        f"JSON.stringify({{token: {json.dumps(token)}}}));"
    )
    shopper.goto(f"{shop_base}/shop-demo/")
    shopper.click(".launcher")
    shopper.fill(".compose textarea", "我要退货，杯盖还是漏水")
    shopper.keyboard.press("Enter")

    # The after-sales agent's desk rings; the logistics-only courier's does not.
    offer = _offer(desk)
    assert "周杰" in offer.inner_text()
    assert courier.locator("[data-testid=offers] .offer").count() == 0
    screenshot(desk, tmp_path, "desk-offer")
    desk.click("[data-testid=offer-accept]")

    # The screen pop: her card, the WeChat chat of last week and the APP return request.
    pop = desk.wait_for_selector("[data-testid=screen-pop]")
    assert pop.get_attribute("data-customer") == str(customer_id)
    text = pop.inner_text()
    assert "保温杯的杯盖漏水，怎么办？" in text and "提交了退货申请" in text and "E20261101" in text
    assert "SF1234567890" in text and STORY_PHONE in text
    desk.wait_for_selector("[data-testid=thread] .msg.in >> text=我要退货，杯盖还是漏水")

    # A canned response by "/" and its shortcut, with her name filled in; the shopper sees it.
    desk.fill("[data-testid=compose-text]", "/hel")
    desk.keyboard.press("End")
    desk.type("[data-testid=compose-text]", "l")
    desk.wait_for_selector("[data-testid=canned-list] li[aria-selected=true] >> text=/hello")
    desk.keyboard.press("Enter")
    assert desk.input_value("[data-testid=compose-text]").startswith("您好 周杰")
    desk.keyboard.press("Enter")
    desk.wait_for_selector("[data-testid=thread] .msg.out >> text=您好 周杰")
    shopper.wait_for_selector(".msg.out >> text=您好 周杰")
    screenshot(desk, tmp_path, "desk-screen-pop")

    # The customer reads it: the agent's tick turns to read.
    desk.wait_for_selector("[data-testid=thread] .msg.out .ticks >> text=✓✓", timeout=20_000)

    # The shopper types: the desk shows it. The agent sends a picture: the shopper sees it.
    shopper.type(".compose textarea", "好的")
    desk.wait_for_selector("[data-testid=typing]:visible")
    desk.set_input_files("[data-testid=image-input]", files=[{"name": "退货地址.png", "mimeType": "image/png",
                                                              "buffer": PNG_1PX}])  # fmt: skip
    desk.wait_for_selector("[data-testid=thread] .msg.out img")
    shopper.wait_for_selector(".msg.out img")

    # An internal note: on the desk, never in the widget.
    desk.check("[data-testid=note-toggle]")
    desk.fill("[data-testid=compose-text]", "老客户，第二次反馈漏水")
    desk.keyboard.press("Enter")
    desk.wait_for_selector("[data-testid=thread] .msg.note >> text=老客户，第二次反馈漏水")
    desk.uncheck("[data-testid=note-toggle]")

    # A ticket from the conversation, pre-filled from the chat.
    desk.click("[data-testid=ticket-tab]")
    desk.wait_for_selector("[data-testid=ticket-form]:visible")
    desk.wait_for_function("() => document.querySelector('#t-subject').value !== ''")
    assert desk.input_value("#t-order") == "E20261101"
    screenshot(desk, tmp_path, "desk-ticket")
    desk.click("[data-testid=ticket-create]")
    desk.wait_for_selector(".linked [data-ticket]")
    with tenant_context(tenant):
        ticket = Ticket.objects.filter(conversations__isnull=False, customer_id=customer_id).latest("number")
        assert ticket.conversations.filter(pk=_current(desk)).exists()
    # The ticket's compensation link goes into the chat, and reaches the shopper.
    desk.click(f".linked [data-ticket='{ticket.number}'] [data-testid=compensation]")
    shopper.wait_for_selector(f".msg.out >> text=#{ticket.number}")
    assert "/portal/" in shopper.inner_text(f".msg.out >> text=#{ticket.number}")
    screenshot(desk, tmp_path, "desk-ticket-created")
    assert shopper.locator(".msg >> text=老客户").count() == 0

    # Wrap up: the conversation ends, after-contact work counts down.
    conversation_id = _current(desk)
    desk.click("[data-testid=wrap-open]")
    desk.wait_for_selector("[data-testid=wrap-code] option[value=return_accepted]", state="attached")
    desk.select_option("[data-testid=wrap-code]", "return_accepted")
    desk.click("[data-testid=wrap-submit]")
    desk.wait_for_selector("[data-testid=acw-timer]:visible", timeout=20_000)
    assert desk.locator(f"[data-testid=conv-list] [data-conversation='{conversation_id}']").count() == 0
    with tenant_context(tenant):
        assert ConversationWrapUp.objects.get(conversation_id=conversation_id).code.code == "return_accepted"
        assert Message.objects.filter(conversation_id=conversation_id, body__startswith="您好 周杰").count() == 1
    screenshot(desk, tmp_path, "desk-after-work")


def _current(page: Any) -> int:
    return int(page.evaluate("window.deskStore.current"))


def test_decline_then_ring_out_then_transfer_then_reconnect(
    two_tenants: TwoTenants, asgi_server: str, browser: Any, celery_worker: object
) -> None:
    from agents.models import AgentProfile
    from agents.services.agents import agent_skills_set
    from channels_app.testing import widget_channel
    from conversations.models import Message
    from routing.models import Queue

    tenant = two_tenants.a
    off_the_browser_thread(lambda: desk_agents(tenant))

    def both_after_sales() -> None:
        with tenant_context(tenant):
            agent_skills_set(agent=AgentProfile.objects.get(user__username="courier"), skills={"after-sales": 1})
            Queue.objects.update(offer_timeout_seconds=4)

    off_the_browser_thread(both_after_sales)
    channel = widget_channel(tenant, prechat="off")
    desk = _desk(browser, tenant, asgi_server, "agent")
    courier = _desk(browser, tenant, asgi_server, "courier")

    conversation = off_the_browser_thread(lambda: visitor_writes(tenant, "申请退款", "v-decline", channel.pk))
    first, second = (desk, courier) if _first_to_ring(desk, courier) is desk else (courier, desk)
    first.click("[data-testid=offer-decline]")
    # Declined: it rings the other agent, who lets it ring out and is set not ready.
    _offer(second)
    second.wait_for_selector("[data-testid=offers] .offer", state="detached", timeout=15_000)
    second.wait_for_selector("[data-testid=shown-state].s-not_ready")
    assert "错过" in second.inner_text("[data-testid=shown-state]") or "missed" in second.inner_text(
        "[data-testid=shown-state]"
    )
    # The decliner is not offered it again; available again, the other agent gets it back and accepts.
    second.select_option("[data-testid=state-select]", "available")
    _offer(second).query_selector("[data-testid=offer-accept]").click()  # type: ignore[union-attr]
    second.wait_for_selector(f"[data-testid=conversation][data-conversation='{conversation}']")

    # Transfer to the first agent, with a note; it rings there with the note and the history.
    second.click("[data-testid=transfer-open]")
    target = "agent" if second is courier else "courier"
    with tenant_context(tenant):
        target_id = AgentProfile.objects.get(user__username=target).pk
    second.select_option("#tr-target", f"agent:{target_id}")
    second.fill("#tr-note", "客户要退款，订单已签收")
    second.click("[data-testid=transfer-submit]")
    second.wait_for_selector(f"[data-testid=conv-list] [data-conversation='{conversation}']", state="detached")
    ringing = _offer(first)
    assert "客户要退款，订单已签收" in ringing.inner_text()
    ringing.query_selector("[data-testid=offer-accept]").click()  # type: ignore[union-attr]
    first.wait_for_selector("[data-testid=thread] .msg.in >> text=申请退款")
    first.wait_for_selector("[data-testid=transfer-note] >> text=客户要退款")

    # A reconnect mid-conversation: what arrives while the socket is down shows once, in order.
    first.evaluate("window.deskStore.socket.drop()")
    for n in range(3):
        off_the_browser_thread(lambda n=n: visitor_writes(tenant, f"断线期间的消息 {n}", "v-decline", channel.pk))
    first.wait_for_selector("[data-testid=connection].c-open")
    first.wait_for_selector("[data-testid=thread] .msg.in >> text=断线期间的消息 2")
    bodies = first.locator("[data-testid=thread] .msg.in .body").all_inner_texts()
    assert bodies == ["申请退款", "断线期间的消息 0", "断线期间的消息 1", "断线期间的消息 2"]
    with tenant_context(tenant):
        assert Message.objects.filter(conversation_id=conversation).count() == 4


def _first_to_ring(*pages: Any) -> Any:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for page in pages:
            if page.locator("[data-testid=offers] .offer").count():
                return page
        pages[0].wait_for_timeout(100)
    raise AssertionError("no desk rang")


def test_two_tenants_desks_side_by_side_in_chinese_and_english(
    two_tenants: TwoTenants, asgi_server: str, browser: Any, celery_worker: object, tmp_path: Path
) -> None:
    from channels_app.testing import widget_channel

    off_the_browser_thread(lambda: desk_agents(two_tenants.a))
    off_the_browser_thread(lambda: desk_agents(two_tenants.b))
    channel_a = widget_channel(two_tenants.a, prechat="off")
    desk_a = _desk(browser, two_tenants.a, asgi_server, "agent", "zh-hans")
    desk_b = _desk(browser, two_tenants.b, asgi_server, "agent", "en")
    assert "我的状态" in desk_a.inner_text("body") and "My state" in desk_b.inner_text("body")
    assert desk_b.inner_text("[data-testid=shown-state]") == "available"

    conversation = off_the_browser_thread(lambda: visitor_writes(two_tenants.a, "我要退货", "v-a", channel_a.pk))
    _offer(desk_a).query_selector("[data-testid=offer-accept]").click()  # type: ignore[union-attr]
    desk_a.wait_for_selector("[data-testid=screen-pop]")
    desk_b.wait_for_timeout(1500)
    assert desk_b.locator("[data-testid=offers] .offer").count() == 0
    assert desk_b.locator("[data-testid=conv-list] li").count() == 0
    # Tenant B's agent cannot read tenant A's conversation or its customer, even knowing the ids.
    status = desk_b.evaluate(f"fetch('/api/v1/conversations/{conversation}/messages/').then(r => r.status)")
    assert status == 404
    screenshot(desk_b, tmp_path, "desk-en")


def test_first_paint_of_the_screen_pop_after_accept(
    two_tenants: TwoTenants, asgi_server: str, browser: Any, celery_worker: object
) -> None:
    """Accept → screen pop rendered, as the desk measures it (the bench repeats this many times)."""
    tenant = two_tenants.a
    off_the_browser_thread(lambda: desk_agents(tenant))
    from channels_app.testing import widget_channel

    channel = widget_channel(tenant, prechat="off")
    off_the_browser_thread(lambda: customer_with_story(tenant, "v-paint"))
    desk = _desk(browser, tenant, asgi_server, "agent")
    timings = []
    for n in range(3):
        off_the_browser_thread(lambda n=n: visitor_writes(tenant, f"我要退货 {n}", "v-paint", channel.pk))
        _offer(desk).query_selector("[data-testid=offer-accept]").click()  # type: ignore[union-attr]
        desk.wait_for_selector("#screen-pop[data-first-paint-ms]")
        timings.append(float(desk.get_attribute("#screen-pop", "data-first-paint-ms") or "nan"))
        conversation = _current(desk)

        def end(conversation: int = conversation) -> None:
            from conversations.models import Conversation
            from conversations.services import conversation_resolve

            with tenant_context(tenant):
                conversation_resolve(conversation=Conversation.objects.get(pk=conversation), actor="test")

        off_the_browser_thread(end)
        desk.wait_for_selector("#screen-pop[data-first-paint-ms]", state="detached")
        off_the_browser_thread(lambda: _available_now(tenant))
    assert statistics.median(timings) < 2000, timings  # the bench holds the 300 ms target


def _available_now(tenant: Any) -> None:
    from agents.models import AgentProfile
    from routing.services.presence import agent_state_choose

    with tenant_context(tenant):
        agent_state_choose(user=AgentProfile.objects.get(user__username="agent").user, state="available")


def test_the_supervisor_watches_agents_and_queues_live(
    two_tenants: TwoTenants, asgi_server: str, browser: Any, celery_worker: object, tmp_path: Path
) -> None:
    from channels_app.testing import widget_channel

    tenant = two_tenants.a
    off_the_browser_thread(lambda: desk_agents(tenant))
    channel = widget_channel(tenant, prechat="off")
    supervisor = browser.new_context(viewport=DESK_VIEWPORT, locale="zh-CN").new_page()
    supervisor.set_default_timeout(20_000)
    base = f"http://{host_of(tenant).split(':')[0]}:{asgi_server}"
    supervisor.goto(f"{base}/accounts/login/")
    supervisor.fill("input[name=username]", "staff")
    supervisor.fill("input[name=password]", TEST_PASSWORD)
    supervisor.press("input[name=password]", "Enter")
    supervisor.wait_for_url(lambda url: "/accounts/login/" not in url)
    supervisor.goto(f"{base}/desk/supervisor/")
    supervisor.wait_for_selector("[data-testid=connection].c-open")
    with tenant_context(tenant):
        from agents.models import AgentProfile

        agent_id = AgentProfile.objects.get(user__username="agent").pk
    row = f"[data-testid=agents-table] tr[data-agent='{agent_id}']"
    supervisor.wait_for_selector(f"{row} .s-offline")

    desk = _desk(browser, tenant, asgi_server, "agent")
    supervisor.wait_for_selector(f"{row} .s-available")  # live, from agent.state
    desk.select_option("[data-testid=state-select]", "not_ready:break")
    supervisor.wait_for_selector(f"{row} .s-not_ready")

    # Nobody can take it: the customer waits, and the after-sales queue shows it.
    off_the_browser_thread(lambda: visitor_writes(tenant, "我要退货", "v-sup", channel.pk))
    supervisor.wait_for_selector("[data-testid=queues-table] tr[data-queue=after-sales] b >> text=1")
    assert supervisor.inner_text("[data-testid=waiting-total]") == "1"
    screenshot(supervisor, tmp_path, "supervisor")

    # The agent comes back: the offer rings (reserved), is accepted (busy), the line empties.
    desk.select_option("[data-testid=state-select]", "available")
    _offer(desk).query_selector("[data-testid=offer-accept]").click()  # type: ignore[union-attr]
    supervisor.wait_for_selector(f"{row} .s-busy")
    supervisor.wait_for_selector("[data-testid=waiting-total] >> text=0")
    assert "1 / 3" in supervisor.inner_text(row)
