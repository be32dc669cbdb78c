"""The customer's home page, order and ticket pages: only their own things, shown as text."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from customers.models import Customer
from customers.services.merge import customer_merge
from portal.tests.helpers import browser, make_customer, make_order, make_ticket, sign_in
from tenants.models import Tenant
from tickets.models import Status


def test_home_lists_the_customers_tickets_and_orders(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    other = make_customer(tenant, app_user="u-2", name="王先生", phone="13900009999")
    mine = make_ticket(tenant, me, "杯子漏水", status=Status.WAITING_CUSTOMER)
    make_ticket(tenant, other, "别人的工单")
    with tenant_context(tenant):
        merged_away = make_ticket(tenant, me, "已合并的工单")
        merged_away.merged_into = mine
        merged_away.save()
    make_order(tenant, me, "SO-MINE-1", items=[{"sku": "A", "name": "保温杯", "qty": 2, "price": "99.00"}])
    make_order(tenant, other, "SO-OTHER-1")
    client = browser(tenant)
    sign_in(client, outbox)
    page = client.get("/portal/").content.decode()
    assert f'href="/portal/tickets/{mine.number}/"' in page and "杯子漏水" in page
    assert "waiting for the customer" in page
    assert "已合并的工单" not in page and "别人的工单" not in page
    assert 'href="/portal/orders/SO-MINE-1/"' in page and "保温杯 × 2" in page and "CNY 199.00" in page
    assert "SO-OTHER-1" not in page


def test_empty_home_says_so(tenant: Tenant, outbox: list) -> None:
    client = browser(tenant)
    sign_in(client, outbox, "13900001111")
    page = client.get("/portal/").content.decode()
    assert "You have no service requests" in page and "No orders yet" in page


def test_chinese_is_the_default_language_and_english_can_be_chosen(tenant: Tenant, outbox: list) -> None:
    from django.test import Client

    from callcenter.core.testing import host_of

    client = Client(HTTP_HOST=host_of(tenant))
    page = client.get("/portal/sign-in/").content.decode()
    assert 'lang="zh-hans"' in page and 'value="en"' in page
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/portal/sign-in/"})
    assert switched.status_code == 302 and switched["Location"] == "/portal/sign-in/"
    assert 'lang="en"' in client.get("/portal/sign-in/").content.decode()


def test_a_merged_profile_sees_the_survivors_things_and_the_survivor_sees_theirs(tenant: Tenant, outbox: list) -> None:
    survivor = make_customer(tenant)
    merged = make_customer(tenant, app_user="u-2", name="陈小姐 (微信)", phone="13900009999")
    ticket_of_merged = make_ticket(tenant, merged, "微信里报的问题")
    make_order(tenant, survivor, "SO-S-1")
    with tenant_context(tenant):
        customer_merge(survivor=survivor, merged=merged, actor="test")
    # Signed in with the merged profile's phone: the survivor's orders, the merged profile's ticket.
    client = browser(tenant)
    sign_in(client, outbox, "13900009999")
    page = client.get("/portal/").content.decode()
    assert "SO-S-1" in page and "微信里报的问题" in page
    assert client.get(f"/portal/tickets/{ticket_of_merged.number}/").status_code == 200
    assert client.get("/portal/orders/SO-S-1/").status_code == 200


def test_another_customers_order_or_ticket_is_not_found(tenant: Tenant, outbox: list) -> None:
    make_customer(tenant)
    other = make_customer(tenant, app_user="u-2", name="王先生", phone="13900009999")
    their_ticket = make_ticket(tenant, other, "别人的工单")
    make_order(tenant, other, "SO-OTHER-1")
    client = browser(tenant)
    sign_in(client, outbox)
    for path in [
        f"/portal/tickets/{their_ticket.number}/",
        "/portal/tickets/999999/",
        "/portal/orders/SO-OTHER-1/",
        "/portal/orders/NO-SUCH/",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "别人的工单" not in response.content.decode() and "王先生" not in response.content.decode()
    assert client.post("/portal/orders/SO-OTHER-1/address/", {"province": "北京"}).status_code == 404


def test_private_pages_send_the_browser_to_sign_in_and_back(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    ticket = make_ticket(tenant, me)
    make_order(tenant, me, "SO-1")
    client = browser(tenant)
    for path in ["/portal/", "/portal/orders/SO-1/", f"/portal/tickets/{ticket.number}/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/portal/sign-in/?next=")
    client.get(f"/portal/sign-in/?next=/portal/tickets/{ticket.number}/")
    client.post("/portal/sign-in/", {"destination": "13812345678", "next": f"/portal/tickets/{ticket.number}/"})
    from portal.tests.helpers import last_code

    answer = client.post("/portal/sign-in/code/", {"code": last_code(outbox)})
    assert answer["Location"] == f"/portal/tickets/{ticket.number}/"
    page = client.get(answer["Location"]).content.decode()
    assert f"#{ticket.number}" in page and "杯子漏水" in page and "new" in page


def test_markup_from_customers_and_the_shop_is_shown_as_text(tenant: Tenant, outbox: list) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    me = make_customer(tenant, name=f"陈{evil}")
    ticket = make_ticket(tenant, me, f"杯子{evil}")
    make_order(
        tenant,
        me,
        "SO-XSS",
        status="paid<script>x</script>",
        items=[{"sku": "A", "name": f"杯{evil}", "qty": 1, "price": "1.00"}],
        shipping_address={
            "name": f"收件人{evil}",
            "phone": "13812345678",
            "province": "广东省",
            "city": "深圳市",
            "district": f"南山区{evil}",
            "detail": f"科技园路 1 号{evil}",
        },
    )
    client = browser(tenant)
    sign_in(client, outbox)
    for path in ["/portal/", "/portal/orders/SO-XSS/", f"/portal/tickets/{ticket.number}/"]:
        page = client.get(path).content.decode()
        assert "<script>alert" not in page and "<img src=x" not in page, path
        assert "<script>x" not in page, path
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page, path
    with tenant_context(tenant):
        assert Customer.objects.get(pk=me.pk).display_name.endswith(evil)  # stored exactly as given


def test_order_page_shows_the_order(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    make_order(
        tenant,
        me,
        "SO-2",
        status="shipped",
        tracking_no="SF123456789",
        logistics_company="顺丰",
        items=[{"sku": "A", "name": "保温杯", "qty": 2, "price": "99.50"}, "not-an-item"],
    )
    client = browser(tenant)
    sign_in(client, outbox)
    page = client.get("/portal/orders/SO-2/").content.decode()
    assert "SO-2" in page and "顺丰 SF123456789" in page and "保温杯" in page and "CNY 99.50" in page
    assert "科技园路 1 号 2 栋 301" in page
    assert 'name="province"' not in page  # shipped: no address form
