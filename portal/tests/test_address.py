"""Changing an order's shipping address from the portal (customers.services.addresses does the change)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django_tenants.utils import tenant_context

from channels_app.models import Channel, ChannelKind, OutboundDelivery
from customers.models import CustomerAudit, Order
from portal.tests.helpers import browser, make_customer, make_order, sign_in
from tenants.models import Tenant

NEW = {
    "province": "浙江",
    "city": "杭州市",
    "district": "西湖区",
    "detail": "文三路 90 号 5 幢 1201 室",
    "name": "陈小姐",
    "phone": "139 0000 1111",
}


def connect_shop(tenant: Tenant) -> Channel:
    with tenant_context(tenant):
        return Channel.objects.create(
            kind=ChannelKind.APP,
            name="商城",
            config={"webhook_url": "http://127.0.0.1:9/hook", "webhook_secret": "s" * 24},
        )


def version_of(page: str) -> str:
    found = re.search(r'name="version" value="([^"]+)"', page)
    assert found, "the page has no address form"
    return found[1]


def signed_in_with_order(tenant: Tenant, outbox: list, **order: Any) -> tuple[Client, str]:
    connect_shop(tenant)
    make_order(tenant, make_customer(tenant), "SO-1", **order)
    client = browser(tenant)
    sign_in(client, outbox)
    page = client.get("/portal/orders/SO-1/")
    assert page.status_code == 200
    return client, page.content.decode()


def stored(tenant: Tenant) -> Order:
    with tenant_context(tenant):
        return Order.objects.get(order_no="SO-1")


def changes(tenant: Tenant) -> tuple[int, int]:
    with tenant_context(tenant):
        return CustomerAudit.objects.filter(action="order_address_changed").count(), OutboundDelivery.objects.count()


def test_the_customer_changes_the_address_of_an_order_not_yet_shipped(tenant: Tenant, outbox: list) -> None:
    client, page = signed_in_with_order(tenant, outbox)
    assert 'value="科技园路 1 号 2 栋 301"' in page  # the form starts from the current address
    response = client.post("/portal/orders/SO-1/address/", NEW | {"version": version_of(page)})
    assert response.status_code == 302 and response["Location"] == "/portal/orders/SO-1/"
    after = client.get(response["Location"]).content.decode()
    assert "The shipping address was changed." in after and "文三路 90 号 5 幢 1201 室" in after
    address = stored(tenant).shipping_address
    assert (address["province"], address["detail"], address["phone_e164"]) == (
        "浙江省",
        "文三路 90 号 5 幢 1201 室",
        "+8613900001111",
    )
    assert changes(tenant) == (1, 1)
    with tenant_context(tenant):
        assert CustomerAudit.objects.get(action="order_address_changed").actor.startswith("customer:")


def test_mistakes_are_shown_next_to_the_fields_with_what_was_typed(tenant: Tenant, outbox: list) -> None:
    client, page = signed_in_with_order(tenant, outbox)
    before = stored(tenant).shipping_address
    typed = NEW | {"province": "火星", "detail": "短", "phone": "12345", "name": "", "version": version_of(page)}
    response = client.post("/portal/orders/SO-1/address/", typed)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="火星"' in body and 'value="短"' in body and 'value="12345"' in body
    assert "Enter a province" in body and "Enter at least 5 characters" in body
    assert "Enter a valid phone number" in body and "Enter the recipient&#x27;s name." in body
    assert body.count('class="field invalid"') == 4
    assert stored(tenant).shipping_address == before and changes(tenant) == (0, 0)


def test_markup_typed_into_the_address_is_kept_as_text(tenant: Tenant, outbox: list) -> None:
    client, page = signed_in_with_order(tenant, outbox)
    evil = NEW | {"detail": "文三路 90 号<script>alert(1)</script>", "version": version_of(page)}
    assert client.post("/portal/orders/SO-1/address/", evil).status_code == 302
    body = client.get("/portal/orders/SO-1/").content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_an_order_that_shipped_meanwhile_answers_409(tenant: Tenant, outbox: list) -> None:
    client, page = signed_in_with_order(tenant, outbox)
    with tenant_context(tenant):
        Order.objects.filter(order_no="SO-1").update(status="shipped", tracking_no="SF1")
    response = client.post("/portal/orders/SO-1/address/", NEW | {"version": version_of(page)})
    assert response.status_code == 409
    body = response.content.decode()
    assert "already shipped" in body and 'name="province"' not in body
    assert changes(tenant) == (0, 0)


def test_submitting_twice_changes_once_and_says_so_kindly(tenant: Tenant, outbox: list) -> None:
    client, page = signed_in_with_order(tenant, outbox)
    form = NEW | {"version": version_of(page)}
    assert client.post("/portal/orders/SO-1/address/", form).status_code == 302
    again = client.post("/portal/orders/SO-1/address/", form)
    assert again.status_code == 409
    assert "already saved" in again.content.decode()
    assert changes(tenant) == (1, 1)


def test_a_stale_form_answers_409_and_shows_the_current_address(tenant: Tenant, outbox: list) -> None:
    client, page = signed_in_with_order(tenant, outbox)
    with tenant_context(tenant):  # the shop's order sync changed the address in the meantime
        order = Order.objects.get(order_no="SO-1")
        order.shipping_address = order.shipping_address | {"detail": "商家改过的地址 8 号"}
        order.save()
    response = client.post("/portal/orders/SO-1/address/", NEW | {"version": version_of(page)})
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed in the meantime" in body and 'value="商家改过的地址 8 号"' in body
    assert version_of(body) != version_of(page)
    assert stored(tenant).shipping_address["detail"] == "商家改过的地址 8 号" and changes(tenant) == (0, 0)


def test_without_a_connected_shop_there_is_no_form(tenant: Tenant, outbox: list) -> None:
    make_order(tenant, make_customer(tenant), "SO-1")
    client = browser(tenant)
    sign_in(client, outbox)
    body = client.get("/portal/orders/SO-1/").content.decode()
    assert 'name="province"' not in body and "can no longer be changed here" in body


def test_the_address_form_needs_the_csrf_token(tenant: Tenant, outbox: list) -> None:
    client, page = signed_in_with_order(tenant, outbox)
    client.handler.enforce_csrf_checks = True
    response = client.post("/portal/orders/SO-1/address/", NEW | {"version": version_of(page)})
    assert response.status_code == 403 and changes(tenant) == (0, 0)
