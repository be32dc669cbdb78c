"""A customer uses the self-service portal on a phone-sized screen, in a real browser: signs in
with a code, reads the ticket's timeline (without the team's notes), replies with a photo,
changes an order's shipping address, rates the service; and the pages read in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from django_tenants.utils import tenant_context

from callcenter.core.testing import host_of, make_tenant, make_user
from callcenter.integrations.otp import LocmemCodeSender
from portal.tests.helpers import make_customer, make_order, make_ticket
from portal.tests.test_address import connect_shop
from tenants.models import Tenant
from tests.browser.helpers import off_the_browser_thread, screenshot

pytestmark = pytest.mark.browser

PHONE_SCREEN = {"width": 390, "height": 844}
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf00000301010018dd8db40000000049454e44ae426082"
)
XSS = '<img src=x onerror="window.__xss=1">照片如下'


@pytest.fixture
def shop(platform: None, settings: Any) -> dict[str, Any]:
    """A shop with a customer, an unshipped order, and a ticket with a reply and a team note."""
    from tickets.services.comments import ticket_note_add, ticket_reply

    settings.PORTAL_CODE_SENDER = "callcenter.integrations.otp.LocmemCodeSender"
    LocmemCodeSender.outbox.clear()
    tenant = make_tenant("shop-a", name="优选商城")
    agent = make_user(tenant, "li.agent", agent=True)
    customer = make_customer(tenant)
    connect_shop(tenant)  # the order system that hears of the address change
    order = make_order(tenant, customer, "E20261124001")
    ticket = make_ticket(tenant, customer, "保温杯漏水", order_ref=order.order_no)
    with tenant_context(tenant):
        ticket_reply(ticket=ticket, author=agent, body="您好，请拍一张漏水处的照片给我们。")
        ticket_note_add(ticket=ticket, author=agent, body="内部：疑似批次问题")
    return {"tenant": tenant, "ticket": ticket, "order": order}


def _fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_a_customer_serves_themselves_on_a_phone(shop: dict[str, Any], live_server: Any, browser_page: Any,
                                                 tmp_path: Any) -> None:  # fmt: skip
    tenant: Tenant = shop["tenant"]
    ticket, order = shop["ticket"], shop["order"]
    base = f"http://{host_of(tenant)}:{live_server.url.rsplit(':', 1)[1]}"
    page = browser_page
    page.set_viewport_size(PHONE_SCREEN)

    page.goto(f"{base}/portal/")
    assert "/portal/sign-in/" in page.url and page.locator("html").get_attribute("lang") == "zh-hans"
    page.fill("#id_destination", "138 1234 5678")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/portal/sign-in/code/")
    page.fill("#id_code", LocmemCodeSender.outbox[-1]["code"])
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/portal/")
    assert page.locator(f"a[href='/portal/tickets/{ticket.number}/']").is_visible()
    assert page.locator(f"a[href='/portal/orders/{order.order_no}/']").is_visible()
    assert _fits_the_screen(page)
    screenshot(page, tmp_path, "portal-home")

    page.locator(f"a[href='/portal/tickets/{ticket.number}/']").click()
    timeline = page.locator("ol.timeline")
    assert "请拍一张漏水处的照片" in timeline.inner_text()
    assert "疑似批次问题" not in page.content()
    page.fill("#id_body", XSS)
    page.set_input_files("#id_photos", files=[{"name": "漏水.png", "mimeType": "image/png", "buffer": PNG_1PX}])
    page.locator("section[aria-labelledby=reply-title] button[type=submit]").click()
    page.wait_for_selector("ul.notes [role=status]")
    mine = page.locator("ol.timeline li.mine").last
    assert XSS in mine.inner_text()  # shown as the text the customer typed, never run
    assert page.evaluate("window.__xss") is None
    assert mine.locator("ul.files a", has_text="漏水.png").is_visible()
    assert _fits_the_screen(page)
    screenshot(page, tmp_path, "portal-ticket")

    page.goto(f"{base}/portal/orders/{order.order_no}/")
    new_address = {"province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 100 号 5 幢 201 室",
                   "name": "陈小姐", "phone": "+86 138 1234 5678"}  # fmt: skip
    for field, value in new_address.items():
        page.fill(f"#id_{field}", value)
    page.locator("section[aria-labelledby=address-title] button[type=submit]").click()
    page.wait_for_selector("ul.notes [role=status]")
    assert "浙江省 杭州市 西湖区" in page.locator("address").inner_text()
    assert page.locator(".facts .badge").inner_text() == "已付款"
    assert _fits_the_screen(page)
    screenshot(page, tmp_path, "portal-order")

    def resolve_and_read_back() -> dict[str, Any]:
        from customers.models import CustomerAudit, Order
        from tickets.models import Status, TicketComment
        from tickets.services.tickets import ticket_status_set

        with tenant_context(tenant):
            ticket_status_set(ticket=ticket, status=Status.RESOLVED, actor="system")
            return {
                "address": Order.objects.get(pk=order.pk).shipping_address,
                "audits": CustomerAudit.objects.filter(action="order_address_changed").count(),
                "replies": TicketComment.objects.filter(ticket=ticket, author_customer__isnull=False).count(),
            }

    stored = off_the_browser_thread(resolve_and_read_back)
    assert stored["address"]["province"] == "浙江省" and stored["address"]["detail"] == "文三路 100 号 5 幢 201 室"
    assert stored["replies"] == 1 and stored["audits"] == 1

    page.goto(f"{base}/portal/tickets/{ticket.number}/")
    page.locator("fieldset.stars input[value='5']").check()
    page.fill("#id_comment", "处理很快，谢谢！")
    screenshot(page, tmp_path, "portal-rating")
    page.locator("section[aria-labelledby=rating-title] button[type=submit]").click()
    page.wait_for_selector("ul.notes [role=status]")
    assert "5" in page.locator("main").inner_text() and page.locator("#id_comment").count() == 0

    page.locator("header form.lang button").click()  # to English
    page.wait_for_selector("html[lang=en]")
    assert "Rate our service" not in page.content() and "Conversation" in page.content()
    assert "5 out of 5" in page.locator("main").inner_text()
