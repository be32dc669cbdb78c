"""Order sync from the shop's backend: POST /api/v1/app/orders/sync/ and customers.services.orders."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of, make_tenant
from channels_app.testing import app_client
from customers.models import ChannelIdentity, Customer, Order
from customers.services.orders import MAX_BATCH, orders_sync
from tenants.models import Tenant

SYNC = "/api/v1/app/orders/sync/"

ADDRESS = {
    "name": "张三",
    "phone": "+86 138 1234 5678",
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "detail": "科技园南区 深南大道10000号 腾讯大厦 3栋 1201室（前台代收）",
}


def order(order_no: str = "SO-1001", *, updated: str = "2026-11-24T10:00:00+08:00", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "order_no": order_no,
        "status": "paid",
        "items": [{"sku": "SKU-1", "name": "保温杯 500ml", "qty": 2, "price": "49.90"}],
        "amount": "99.80",
        "shipping_address": dict(ADDRESS),
        "logistics_status": "",
        "placed_at": "2026-11-24T09:30:00+08:00",
        "updated_at": updated,
        "customer": {"app_user_id": "u-1001", "name": "张三", "phone": "13812345678", "phone_verified": True},
    }
    item.update(fields)
    return item


def sync(client: Client, items: Any) -> Any:
    return client.post(SYNC, json.dumps({"items": items}, ensure_ascii=False), content_type="application/json")


def counts(tenant: Tenant) -> dict[str, int]:
    with tenant_context(tenant):
        return {
            "orders": Order.objects.count(),
            "customers": Customer.objects.count(),
            "identities": ChannelIdentity.objects.count(),
        }


@pytest.fixture
def shop(platform: None) -> tuple[Tenant, Client]:
    tenant = make_tenant("shop-one")
    return tenant, app_client(tenant)


def test_create_update_unchanged_and_stale(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    first = sync(client, [order("SO-1"), order("SO-2")])
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "stale": 0, "invalid": 0, "errors": []}

    shipped = order("SO-1", updated="2026-11-25T08:00:00+08:00", status="shipped", tracking_no="SF1234567890")
    older = order("SO-2", updated="2026-11-23T08:00:00+08:00", status="cancelled")
    body = sync(client, [shipped, older, order("SO-2")]).json()
    assert body == {"created": 0, "updated": 1, "unchanged": 1, "stale": 1, "invalid": 0, "errors": []}

    with tenant_context(tenant):
        one, two = Order.objects.get(order_no="SO-1"), Order.objects.get(order_no="SO-2")
        assert one.status == "shipped" and one.tracking_no == "SF1234567890"
        assert one.source_updated_at.isoformat() == "2026-11-25T00:00:00+00:00"
        assert two.status == "paid"  # the older update was skipped
        assert one.amount == Decimal("99.80") and one.currency == "CNY"
        assert one.items == [{"sku": "SKU-1", "name": "保温杯 500ml", "qty": 2, "price": "49.90"}]
        # Both orders belong to one customer, found by the shop's user id.
        assert one.customer_id == two.customer_id
        identity = ChannelIdentity.objects.get(kind="app_user")
        assert (identity.namespace, identity.external_id, identity.customer_id) == ("", "u-1001", one.customer_id)


def test_a_resend_is_idempotent(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    batch = [order("SO-1"), order("SO-2", customer={"app_user_id": "u-2", "name": "李四"})]
    assert sync(client, batch).json()["created"] == 2
    before = counts(tenant)
    with tenant_context(tenant):
        synced = dict(Order.objects.values_list("order_no", "synced_at"))

    again = sync(client, copy.deepcopy(batch)).json()
    assert again == {"created": 0, "updated": 0, "unchanged": 2, "stale": 0, "invalid": 0, "errors": []}
    assert counts(tenant) == before == {"orders": 2, "customers": 2, "identities": 3}
    with tenant_context(tenant):
        assert dict(Order.objects.values_list("order_no", "synced_at")) == synced  # nothing rewritten


def test_invalid_items_are_reported_and_not_written(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    no_number = order()
    del no_number["order_no"]
    no_user = order("SO-NOUSER", customer={"name": "王五"})
    items = [
        order("SO-OK"),
        no_number,
        order("SO-NEG", amount="-1.00", customer={"app_user_id": "u-neg"}),
        order("SO-NAIVE", updated="2026-11-24T10:00:00", customer={"app_user_id": "u-naive"}),
        order("X" * 65, customer={"app_user_id": "u-long"}),
        no_user,
        order("SO-QTY", items=[{"name": "杯子", "qty": -1, "price": "1"}], customer={"app_user_id": "u-qty"}),
        "not an object",
    ]
    response = sync(client, items)
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["invalid"]) == (1, 7)
    by_index = {error["index"]: error for error in body["errors"]}
    assert sorted(by_index) == [1, 2, 3, 4, 5, 6, 7]
    assert "order_no" in by_index[1]["errors"] and by_index[1]["order_no"] is None
    assert "amount" in by_index[2]["errors"] and by_index[2]["order_no"] == "SO-NEG"
    assert "updated_at" in by_index[3]["errors"]
    assert "order_no" in by_index[4]["errors"]
    assert "app_user_id" in by_index[5]["errors"]["customer"]
    assert "qty" in by_index[6]["errors"]["items"]["0"]  # list errors are keyed by position
    assert "non_field_errors" in by_index[7]["errors"]

    assert counts(tenant) == {"orders": 1, "customers": 1, "identities": 2}  # SO-OK's customer: app_user + phone
    with tenant_context(tenant):
        assert list(Order.objects.values_list("order_no", flat=True)) == ["SO-OK"]
        assert not ChannelIdentity.objects.filter(external_id__in=["u-neg", "u-naive", "u-long", "u-qty"]).exists()


def test_every_item_invalid_is_400_and_nothing_is_written(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    response = sync(client, [order(amount="abc"), order(placed_at="yesterday")])
    assert response.status_code == 400
    body = response.json()
    assert body["invalid"] == 2 and body["created"] == 0 and [e["index"] for e in body["errors"]] == [0, 1]
    assert counts(tenant) == {"orders": 0, "customers": 0, "identities": 0}


@pytest.mark.parametrize(
    "payload",
    [
        {"items": [order(f"SO-{n}") for n in range(MAX_BATCH + 1)]},
        {"items": []},
        {"items": "SO-1"},
        {"orders": [order()]},
        [order()],
    ],
    ids=["501-items", "empty", "not-a-list", "no-items-key", "bare-list"],
)
def test_a_malformed_body_is_400_and_nothing_is_written(shop: tuple[Tenant, Client], payload: Any) -> None:
    tenant, client = shop
    response = client.post(SYNC, json.dumps(payload), content_type="application/json")
    assert response.status_code == 400
    assert "items" in response.json()["errors"]
    assert counts(tenant) == {"orders": 0, "customers": 0, "identities": 0}


def test_only_json_is_accepted(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    assert client.post(SYNC, {"items": "x"}).status_code == 415
    assert client.post(SYNC, "{not json", content_type="application/json").status_code == 400
    assert counts(tenant)["orders"] == 0


def test_500_items_are_accepted(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    items = [order(f"SO-{n}", customer={"app_user_id": "u-bulk"}) for n in range(MAX_BATCH)]
    assert sync(client, items).json()["created"] == MAX_BATCH
    assert counts(tenant)["orders"] == MAX_BATCH


def test_chinese_address_round_trips_exactly_and_the_phone_is_normalized(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    address = {**ADDRESS, "detail": "  北京市朝阳区建国路88号 SOHO现代城 B座 ２０１  "}
    assert sync(client, [order(shipping_address=address)]).json()["created"] == 1
    with tenant_context(tenant):
        stored = Order.objects.get().shipping_address
        customer = Customer.objects.get()
    assert stored == {**address, "phone_e164": "+8613812345678"}
    assert stored["detail"] == "  北京市朝阳区建国路88号 SOHO现代城 B座 ２０１  "  # spaces and full-width kept
    assert stored["phone"] == "+86 138 1234 5678"  # as given
    assert customer.phones == ["+8613812345678"]
    with tenant_context(tenant):
        phone = ChannelIdentity.objects.get(kind="phone")
        assert (phone.external_id, phone.verified) == ("+8613812345678", True)


def test_an_unparseable_phone_is_kept_without_a_normalized_form(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    address = {**ADDRESS, "phone": "转分机 8008"}
    body = sync(client, [order(shipping_address=address, customer={"app_user_id": "u-1", "phone": "12"})]).json()
    assert body["created"] == 1
    with tenant_context(tenant):
        stored = Order.objects.get()
        assert stored.shipping_address["phone"] == "转分机 8008" and "phone_e164" not in stored.shipping_address
        assert stored.customer.phones == []


def test_markup_in_names_is_stored_verbatim(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    name = '<script>alert("x")</script><b>张三</b> & <img src=x onerror=alert(1)>'
    item = order(
        customer={"app_user_id": "u-xss", "name": name},
        shipping_address={**ADDRESS, "name": name},
        items=[{"sku": "S", "name": name, "qty": 1, "price": "1.00"}],
    )
    assert sync(client, [item]).json()["created"] == 1
    with tenant_context(tenant):
        stored = Order.objects.get()
        assert stored.customer.display_name == name
        assert stored.shipping_address["name"] == name
        assert stored.items[0]["name"] == name


def test_the_customer_follows_the_app_user_id(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    sync(client, [order("SO-1", customer={"app_user_id": "u-1"}), order("SO-2", customer={"app_user_id": "u-2"})])
    # A newer update may move the order to another shop user.
    moved = order("SO-1", updated="2026-11-26T10:00:00+08:00", customer={"app_user_id": "u-2"})
    assert sync(client, [moved]).json()["updated"] == 1
    with tenant_context(tenant):
        owner = ChannelIdentity.objects.get(kind="app_user", external_id="u-2").customer_id
        assert set(Order.objects.values_list("customer_id", flat=True)) == {owner}


def test_the_service_refuses_an_oversized_batch_before_writing(platform: None) -> None:
    tenant = make_tenant("shop-two")
    with tenant_context(tenant):
        with pytest.raises(ValidationError) as raised:
            orders_sync(items=[order(f"SO-{n}") for n in range(MAX_BATCH + 1)], actor="test")
        assert "items" in raised.value.message_dict
        assert Order.objects.count() == 0 and Customer.objects.count() == 0
        result = orders_sync(items=[order(currency="usd")], actor="test", namespace="brand-2")
        assert result["created"] == 1 and Order.objects.get().currency == "USD"
        assert ChannelIdentity.objects.get(kind="app_user").namespace == "brand-2"


def test_an_order_synced_on_a_is_invisible_from_b(two_tenants: TwoTenants) -> None:
    client_a, client_b = app_client(two_tenants.a), app_client(two_tenants.b)
    assert sync(client_a, [order("SO-SHARED")]).json()["created"] == 1
    with tenant_context(two_tenants.b):
        assert not Order.objects.filter(order_no="SO-SHARED").exists()
        assert Customer.objects.count() == 0
    # The same order number on B is B's own, new order: A's is neither seen nor changed.
    newer = order("SO-SHARED", updated="2026-12-01T10:00:00+08:00", status="refunded")
    assert sync(client_b, [newer]).json()["created"] == 1
    with tenant_context(two_tenants.a):
        assert Order.objects.get(order_no="SO-SHARED").status == "paid"
    # B's key cannot write into A.
    response = client_b.post(
        SYNC, json.dumps({"items": [newer]}), content_type="application/json", HTTP_HOST=host_of(two_tenants.a)
    )
    assert response.status_code == 401
    with tenant_context(two_tenants.a):
        assert Order.objects.get(order_no="SO-SHARED").status == "paid"
