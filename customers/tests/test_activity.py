"""Customer activity from the shop's backend: POST /api/v1/app/activity/ and customers.services.activity."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, make_tenant
from channels_app.testing import app_client
from customers.models import ActivityEvent, ChannelIdentity, Customer
from customers.services.activity import MAX_DATA_BYTES, activity_record_bulk
from customers.services.orders import MAX_BATCH
from tenants.models import Tenant

ACTIVITY = "/api/v1/app/activity/"


def event(event_id: str = "ev-1", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "event_id": event_id,
        "kind": "viewed_order",
        "occurred_at": "2026-11-24T10:00:00+08:00",
        "data": {"order_no": "SO-1001", "页面": "订单详情"},
        "customer": {"app_user_id": "u-1001", "name": "张三"},
    }
    item.update(fields)
    return item


def record(client: Client, items: Any) -> Any:
    return client.post(ACTIVITY, json.dumps({"items": items}, ensure_ascii=False), content_type="application/json")


def stored(tenant: Tenant) -> dict[str, int]:
    with tenant_context(tenant):
        return {"events": ActivityEvent.objects.count(), "customers": Customer.objects.count()}


@pytest.fixture
def shop(platform: None) -> tuple[Tenant, Client]:
    tenant = make_tenant("shop-act")
    return tenant, app_client(tenant)


def test_events_are_stored_once_per_event_id(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    first = record(client, [event("ev-1"), event("ev-2", kind="submitted_return_request"), event("ev-1")])
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "duplicate": 1, "invalid": 0, "errors": []}

    again = record(client, [event("ev-1", kind="viewed_order_again"), event("ev-3")])
    assert again.json() == {"created": 1, "duplicate": 1, "invalid": 0, "errors": []}
    assert stored(tenant) == {"events": 3, "customers": 1}
    with tenant_context(tenant):
        first_report = ActivityEvent.objects.get(external_id="ev-1")
        assert first_report.kind == "viewed_order"  # the first report wins
        assert first_report.data == {"order_no": "SO-1001", "页面": "订单详情"}
        assert first_report.occurred_at.isoformat() == "2026-11-24T02:00:00+00:00"
        customer = ChannelIdentity.objects.get(kind="app_user", external_id="u-1001").customer
        assert set(ActivityEvent.objects.values_list("customer_id", flat=True)) == {customer.pk}


def test_an_all_duplicate_batch_is_a_success(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    record(client, [event("ev-1")])
    response = record(client, [event("ev-1")])
    assert response.status_code == 200 and response.json()["duplicate"] == 1
    assert stored(tenant)["events"] == 1


def test_invalid_items_are_reported_and_not_written(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    too_big = {"blob": "x" * MAX_DATA_BYTES}
    items = [
        event("ev-ok"),
        event("ev-kind", kind="viewed order!", customer={"app_user_id": "u-kind"}),
        event("ev-big", data=too_big, customer={"app_user_id": "u-big"}),
        event("ev-list", data=["not", "an", "object"], customer={"app_user_id": "u-list"}),
        event("ev-naive", occurred_at="2026-11-24 10:00", customer={"app_user_id": "u-naive"}),
        event("ev-nul", data={"note": "a\u0000b"}, customer={"app_user_id": "u-nul"}),
        event("", customer={"app_user_id": "u-noid"}),
        event("ev-nouser", customer={"name": "无名"}),
        event("ev-longkind", kind="k" * 61, customer={"app_user_id": "u-longkind"}),
    ]
    response = record(client, items)
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["duplicate"], body["invalid"]) == (1, 0, 8)
    fields = {error["index"]: (error["event_id"], set(error["errors"])) for error in body["errors"]}
    assert fields == {
        1: ("ev-kind", {"kind"}),
        2: ("ev-big", {"data"}),
        3: ("ev-list", {"data"}),
        4: ("ev-naive", {"occurred_at"}),
        5: ("ev-nul", {"data"}),
        6: ("", {"event_id"}),
        7: ("ev-nouser", {"customer"}),
        8: ("ev-longkind", {"kind"}),
    }
    assert stored(tenant) == {"events": 1, "customers": 1}
    with tenant_context(tenant):
        assert list(ActivityEvent.objects.values_list("external_id", flat=True)) == ["ev-ok"]
        assert ChannelIdentity.objects.filter(kind="app_user").count() == 1


def test_data_of_exactly_8_kb_is_accepted(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    overhead = len(json.dumps({"blob": ""}, separators=(",", ":")))
    data = {"blob": "x" * (MAX_DATA_BYTES - overhead)}
    assert record(client, [event(data=data)]).json()["created"] == 1
    # Size is counted in UTF-8 bytes: the same number of Chinese characters is three times larger.
    data = {"blob": "订" * (MAX_DATA_BYTES - overhead)}
    assert record(client, [event("ev-2", data=data)]).json()["invalid"] == 1
    assert stored(tenant)["events"] == 1


def test_every_item_invalid_or_a_malformed_body_is_400_with_nothing_written(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    all_bad = record(client, [event(kind="!"), event(occurred_at="soon")])
    assert all_bad.status_code == 400 and all_bad.json()["invalid"] == 2
    too_many = record(client, [event(f"ev-{n}") for n in range(MAX_BATCH + 1)])
    assert too_many.status_code == 400 and "items" in too_many.json()["errors"]
    assert record(client, []).status_code == 400
    assert client.post(ACTIVITY, json.dumps({"events": []}), content_type="application/json").status_code == 400
    assert stored(tenant) == {"events": 0, "customers": 0}


def test_markup_is_stored_verbatim(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    markup = "<script>alert(document.cookie)</script>退货原因：<b>破损</b>"
    record(client, [event(data={"reason": markup}, customer={"app_user_id": "u-x", "name": markup})])
    with tenant_context(tenant):
        saved = ActivityEvent.objects.get()
        assert saved.data == {"reason": markup}
        assert saved.customer.display_name == markup


def test_the_service_refuses_a_non_list(platform: None) -> None:
    tenant = make_tenant("shop-act-two")
    with tenant_context(tenant):
        with pytest.raises(ValidationError):
            activity_record_bulk(items={"event_id": "ev-1"}, actor="test")  # type: ignore[arg-type]
        assert ActivityEvent.objects.count() == 0


def test_activity_on_a_is_invisible_from_b(two_tenants: TwoTenants) -> None:
    client_a, client_b = app_client(two_tenants.a), app_client(two_tenants.b)
    assert record(client_a, [event("ev-shared")]).json()["created"] == 1
    with tenant_context(two_tenants.b):
        assert not ActivityEvent.objects.filter(external_id="ev-shared").exists()
    # B's own event with the same id is new on B: deduplication never looks across tenants.
    assert record(client_b, [event("ev-shared", kind="viewed_coupon")]).json()["created"] == 1
    with tenant_context(two_tenants.a):
        assert ActivityEvent.objects.get(external_id="ev-shared").kind == "viewed_order"
