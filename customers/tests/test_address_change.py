"""Changing an order's shipping address (customers.services.addresses): the rule, the audit, the
outbox row and the webhook to the shop, conflicts, concurrency and tenant isolation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.errors import ConflictError
from callcenter.core.testing import TwoTenants, make_tenant
from channels_app.adapters.app.webhooks import webhook_signature_verify
from channels_app.models import Channel, ChannelKind, DeliveryStatus, OutboundDelivery
from channels_app.services.outbox import delivery_attempt
from channels_app.testing import app_channel_with_key
from customers.models import Customer, CustomerAudit, Order
from customers.selectors import order_get_for_customer
from customers.services.addresses import (
    OrderAlreadyShipped,
    OrderChangedMeanwhile,
    OrderSystemNotConnected,
    order_address_change,
    order_address_changeable,
    order_address_version,
)
from customers.services.merge import customer_merge
from customers.services.orders import orders_sync
from tenants.models import Tenant

SECRET = "shop-webhook-secret-0123456789"
ACTOR = "portal:customer"
NEW = {
    "province": "北京",
    "city": "北京",
    "district": "朝阳区",
    "detail": "建国路 88号  SOHO现代城 A座 1808",
    "name": "李四",
    "phone": "010-12345678",
}
NEW_STORED = {
    "name": "李四",
    "phone": "010-12345678",
    "province": "北京市",
    "city": "北京市",
    "district": "朝阳区",
    "detail": "建国路 88号 SOHO现代城 A座 1808",
    "phone_e164": "+861012345678",
}
OLD_STORED = {
    "name": "张三",
    "phone": "+86 138 1234 5678",
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "detail": "深南大道10000号",
    "phone_e164": "+8613812345678",
}


def shop_order(order_no: str = "SO-1", *, updated: str = "2026-11-24T10:00:00+08:00", **fields: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "order_no": order_no,
        "status": "paid",
        "amount": "99.80",
        "shipping_address": {k: v for k, v in OLD_STORED.items() if k != "phone_e164"},
        "placed_at": "2026-11-24T09:30:00+08:00",
        "updated_at": updated,
        "customer": {"app_user_id": "u-1001", "name": "张三", "phone": "13812345678", "phone_verified": True},
    }
    item.update(fields)
    return item


def push(tenant: Tenant, *items: dict[str, Any]) -> dict[str, Any]:
    with tenant_context(tenant):
        return orders_sync(items=list(items), actor="shop")


def connect_shop(tenant: Tenant, url: str = "http://127.0.0.1:9/hooks/cc", **config: Any) -> Channel:
    channel, _raw = app_channel_with_key(tenant)
    with tenant_context(tenant):
        channel.config = {"webhook_url": url, "webhook_secret": SECRET, **config}
        channel.save(update_fields=["config"])
    return channel


def get_order(tenant: Tenant, order_no: str = "SO-1") -> Order:
    with tenant_context(tenant):
        return Order.objects.select_related("customer").get(order_no=order_no)


def written(tenant: Tenant) -> tuple[int, int]:
    """(audit rows of address changes, outbox rows)."""
    with tenant_context(tenant):
        return CustomerAudit.objects.filter(action="order_address_changed").count(), OutboundDelivery.objects.count()


def change(tenant: Tenant, order: Order, address: dict[str, Any] | None = None, version: str | None = None) -> Order:
    with tenant_context(tenant):
        return order_address_change(
            order=order,
            address=NEW if address is None else address,
            expected_version=order_address_version(order) if version is None else version,
            actor=ACTOR,
        )


@pytest.fixture
def shop(platform: None) -> Tenant:
    """A tenant with its shop connected (APP channel with a webhook) and one paid order."""
    tenant = make_tenant("shop-one")
    connect_shop(tenant)
    push(tenant, shop_order())
    return tenant


# --- the happy path ---------------------------------------------------------------------------


def test_the_change_is_stored_audited_and_queued_for_the_shop(shop: Tenant) -> None:
    order = get_order(shop)
    version = order_address_version(order)
    with tenant_context(shop):
        assert order_address_changeable(order)
    changed = change(shop, order, version=version)
    assert changed.shipping_address == NEW_STORED
    assert changed.source_updated_at > order.source_updated_at
    stored = get_order(shop)
    assert stored.shipping_address == NEW_STORED
    new_version = order_address_version(stored)
    assert new_version == order_address_version(changed) != version
    with tenant_context(shop):
        audit = CustomerAudit.objects.get(action="order_address_changed")
        row = OutboundDelivery.objects.get()
        assert (audit.actor, audit.customer_id) == (ACTOR, order.customer_id)
        assert audit.detail == {
            "order_no": "SO-1",
            "old_address": OLD_STORED,
            "new_address": NEW_STORED,
            "version": new_version,
            "delivery": row.pk,
        }
        assert (row.event, row.message_id, row.status, row.channel.kind) == (
            "order.address_changed",
            None,
            DeliveryStatus.PENDING,
            ChannelKind.APP,
        )
        assert row.dedupe_key == f"order-address:SO-1:{new_version}"
        assert row.payload == {
            "order_no": "SO-1",
            "app_user_id": "u-1001",
            "old_address": OLD_STORED,
            "new_address": NEW_STORED,
            "changed_at": stored.source_updated_at.isoformat(),
            "changed_by": ACTOR,
            "version": new_version,
        }


def test_the_same_address_again_changes_nothing(shop: Tenant) -> None:
    order = get_order(shop)
    same = {k: v for k, v in OLD_STORED.items() if k != "phone_e164"}
    assert change(shop, order, address=same).shipping_address == OLD_STORED
    assert written(shop) == (0, 0)
    assert order_address_version(get_order(shop)) == order_address_version(order)


def test_markup_in_the_address_is_stored_as_typed(shop: Tenant) -> None:
    typed = '<script>alert("x")</script> 建国路88号 <img src=x onerror=alert(1)>'
    change(shop, get_order(shop), address={**NEW, "detail": typed, "name": "<b>李四</b>"})
    stored = get_order(shop).shipping_address
    assert (stored["detail"], stored["name"]) == (typed, "<b>李四</b>")
    with tenant_context(shop):
        assert OutboundDelivery.objects.get().payload["new_address"]["detail"] == typed


# --- refusals write nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "field", "code"),
    [
        ({"province": ""}, "province", "required"),
        ({"province": "加州"}, "province", "unknown_province"),
        ({"city": "市" * 61}, "city", "too_long"),
        ({"district": None}, "district", "required"),
        ({"detail": "1号"}, "detail", "too_short"),
        ({"detail": "建国路\x0088号"}, "detail", "control_characters"),
        ({"name": "名" * 51}, "name", "too_long"),
        ({"phone": "+852 9123 4567"}, "phone", "not_mainland_phone"),
        ({"phone": "12345"}, "phone", "invalid_phone"),
    ],
)
def test_each_invalid_field_is_reported_and_nothing_is_written(
    shop: Tenant, bad: dict[str, Any], field: str, code: str
) -> None:
    order = get_order(shop)
    with pytest.raises(ValidationError) as caught:
        change(shop, order, address={**NEW, **bad})
    assert list(caught.value.error_dict) == [field]
    assert [e.code for e in caught.value.error_dict[field]] == [code]
    assert caught.value.message_dict[field][0]  # a sentence for people
    assert get_order(shop).shipping_address == OLD_STORED
    assert written(shop) == (0, 0)


def test_every_bad_field_is_reported_together(shop: Tenant) -> None:
    with pytest.raises(ValidationError) as caught:
        change(shop, get_order(shop), address={"province": "加州", "phone": "abc"})
    assert set(caught.value.error_dict) == {"province", "city", "district", "detail", "name", "phone"}
    assert written(shop) == (0, 0)


@pytest.mark.parametrize(
    "shipped",
    [{"status": "shipped"}, {"status": "已发货"}, {"status": "paid", "tracking_no": "SF1234567890"}],
)
def test_a_shipped_order_is_refused_with_409_and_nothing_is_written(shop: Tenant, shipped: dict[str, Any]) -> None:
    push(shop, shop_order(updated="2026-11-25T08:00:00+08:00", **shipped))
    order = get_order(shop)
    with tenant_context(shop):
        assert not order_address_changeable(order)
    with pytest.raises(OrderAlreadyShipped) as caught:
        change(shop, order)
    assert isinstance(caught.value, ConflictError) and caught.value.status_code == 409
    assert caught.value.code == "order_already_shipped"
    assert get_order(shop).shipping_address == OLD_STORED
    assert written(shop) == (0, 0)


def test_an_order_that_shipped_after_the_form_was_shown_is_refused(shop: Tenant) -> None:
    version = order_address_version(get_order(shop))
    push(shop, shop_order(updated="2026-11-25T08:00:00+08:00", status="shipped", tracking_no="SF1"))
    with pytest.raises(OrderAlreadyShipped):
        change(shop, get_order(shop), version=version)
    assert written(shop) == (0, 0)


def test_statuses_are_compared_without_case_and_a_tenant_may_list_its_own(platform: None) -> None:
    tenant = make_tenant("shop-one")
    connect_shop(tenant, order_address_changeable_statuses=["Awaiting_Pick"])
    push(tenant, shop_order("SO-1", status="AWAITING_PICK"), shop_order("SO-2", status="paid"))
    with tenant_context(tenant):
        assert order_address_changeable(get_order(tenant, "SO-1"))
        assert not order_address_changeable(get_order(tenant, "SO-2"))  # the tenant's list replaces the default
    other = make_tenant("shop-two")
    connect_shop(other)
    push(other, shop_order("SO-1", status="PAID"))
    with tenant_context(other):
        assert order_address_changeable(get_order(other, "SO-1"))


def test_a_stale_version_is_a_conflict(shop: Tenant) -> None:
    order = get_order(shop)
    version = order_address_version(order)
    push(shop, shop_order(updated="2026-11-25T08:00:00+08:00", status="待发货"))  # the shop changed it
    with pytest.raises(OrderChangedMeanwhile) as caught:
        change(shop, get_order(shop), version=version)
    assert caught.value.status_code == 409 and caught.value.code == "order_changed"
    with pytest.raises(OrderChangedMeanwhile):
        change(shop, get_order(shop), version="v1-forged")
    assert written(shop) == (0, 0)


def test_a_double_submit_changes_once(shop: Tenant) -> None:
    order = get_order(shop)
    version = order_address_version(order)
    change(shop, order, version=version)
    with pytest.raises(OrderChangedMeanwhile):
        change(shop, order, version=version)
    with pytest.raises(OrderChangedMeanwhile):  # even with another address
        change(shop, order, address={**NEW, "district": "海淀区"}, version=version)
    assert written(shop) == (1, 1)
    assert get_order(shop).shipping_address == NEW_STORED


def test_two_concurrent_submits_of_one_form_change_once(shop: Tenant) -> None:
    order = get_order(shop)
    version = order_address_version(order)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def submit(district: str) -> None:
        try:
            with tenant_context(shop):
                barrier.wait()
                order_address_change(
                    order=order, address={**NEW, "district": district}, expected_version=version, actor=ACTOR
                )
            outcomes.append(district)
        except OrderChangedMeanwhile:
            outcomes.append("conflict")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(district,)) for district in ("朝阳区", "海淀区")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(outcomes) == 2 and outcomes.count("conflict") == 1
    winner = next(o for o in outcomes if o != "conflict")
    assert get_order(shop).shipping_address["district"] == winner
    assert written(shop) == (1, 1)


@pytest.mark.parametrize("setup", ["no_channel", "no_webhook", "inactive", "widget_only"])
def test_without_a_connected_order_system_the_change_is_refused(platform: None, setup: str) -> None:
    tenant = make_tenant("shop-one")
    if setup != "no_channel":
        channel = connect_shop(tenant)
        with tenant_context(tenant):
            if setup == "no_webhook":
                channel.config = {}
            elif setup == "inactive":
                channel.is_active = False
            else:
                channel.kind = ChannelKind.WEB_WIDGET
            channel.save()
    push(tenant, shop_order())
    order = get_order(tenant)
    with tenant_context(tenant):
        assert not order_address_changeable(order)
    with pytest.raises(OrderSystemNotConnected) as caught:
        change(tenant, order)
    assert caught.value.status_code == 409 and caught.value.code == "order_system_not_connected"
    assert get_order(tenant).shipping_address == OLD_STORED
    assert written(tenant) == (0, 0)


def test_with_two_shops_the_one_that_knows_the_customer_is_told(platform: None) -> None:
    tenant = make_tenant("shop-one")
    connect_shop(tenant, url="http://127.0.0.1:9/other", app_user_namespace="other-shop")
    ours = connect_shop(tenant)
    push(tenant, shop_order())
    change(tenant, get_order(tenant))
    with tenant_context(tenant):
        row = OutboundDelivery.objects.get()
        assert row.channel_id == ours.pk and row.payload["app_user_id"] == "u-1001"


# --- the shop's later pushes ------------------------------------------------------------------


def test_a_later_push_stamped_before_the_change_does_not_undo_it(shop: Tenant) -> None:
    change(shop, get_order(shop))
    changed_at = get_order(shop).source_updated_at
    before = (changed_at - timedelta(seconds=1)).isoformat()
    assert push(shop, shop_order(updated=before))["stale"] == 1
    assert get_order(shop).shipping_address == NEW_STORED
    # The shop acknowledges with a newer update, carrying the new address (and its own stamp).
    ack = shop_order(updated=(changed_at + timedelta(seconds=1)).isoformat(), status="待发货")
    ack["shipping_address"] = {k: v for k, v in NEW_STORED.items() if k != "phone_e164"}
    assert push(shop, ack)["updated"] == 1
    stored = get_order(shop)
    assert (stored.shipping_address, stored.status) == (NEW_STORED, "待发货")


# --- the webhook ------------------------------------------------------------------------------


@dataclass
class Shop:
    """The shop's backend: checks every signature, answers from a script (then 200)."""

    script: list[int] = field(default_factory=list)
    answered: list[tuple[int, bool, str, str, dict[str, Any]]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/cc"


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_POST(self) -> None:
        shop: Shop = self.server.shop
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        verified = webhook_signature_verify(
            SECRET, self.headers.get("X-CC-Timestamp", ""), raw, self.headers.get("X-CC-Signature", "")
        )
        status = (shop.script.pop(0) if shop.script else 200) if verified else 401
        headers = (self.headers.get("X-CC-Delivery", ""), self.headers.get("X-CC-Event", ""))
        shop.answered.append((status, verified, *headers, json.loads(raw)))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def shop_backend() -> Iterator[Shop]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    backend = Shop(port=server.server_address[1])
    server.shop = backend  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield backend
    server.shutdown()
    server.server_close()


def test_webhook_down_then_up_is_delivered_once(platform: None, shop_backend: Shop) -> None:
    tenant = make_tenant("shop-one")
    connect_shop(tenant, url=shop_backend.url)
    push(tenant, shop_order())
    shop_backend.script.append(503)
    change(tenant, get_order(tenant))
    with tenant_context(tenant):
        row = OutboundDelivery.objects.get()
        first = delivery_attempt(delivery_id=row.pk)
        assert first is not None and first.status == DeliveryStatus.PENDING and first.last_error == "HTTP 503"
        OutboundDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        second = delivery_attempt(delivery_id=row.pk)
        assert second is not None and second.status == DeliveryStatus.DELIVERED and second.attempts == 2
        assert delivery_attempt(delivery_id=row.pk) is None  # delivered: never sent again
        payload = OutboundDelivery.objects.get(pk=row.pk).payload
    assert [(status, verified) for status, verified, *_ in shop_backend.answered] == [(503, True), (200, True)]
    delivered = [hit for hit in shop_backend.answered if hit[0] == 200]
    assert len(delivered) == 1
    _status, _verified, delivery_id, event, body = delivered[0]
    assert (delivery_id, event) == (str(row.pk), "order.address_changed")
    assert body == {"id": row.pk, "event": "order.address_changed", "data": payload}
    assert body["data"]["new_address"] == NEW_STORED and body["data"]["order_no"] == "SO-1"


# --- whose order, which tenant ----------------------------------------------------------------


def test_the_selector_finds_only_the_customers_own_orders_merged_profiles_included(shop: Tenant) -> None:
    push(shop, shop_order("SO-9", customer={"app_user_id": "u-9", "name": "王五"}))
    with tenant_context(shop):
        owner = Customer.objects.get(orders__order_no="SO-1")
        other = Customer.objects.get(orders__order_no="SO-9")
        assert order_get_for_customer(customer=owner, order_no="SO-1").order_no == "SO-1"
        with pytest.raises(Order.DoesNotExist):
            order_get_for_customer(customer=owner, order_no="SO-9")
        with pytest.raises(Order.DoesNotExist):
            order_get_for_customer(customer=owner, order_no="SO-404")
        customer_merge(survivor=other, merged=owner, actor="staff")  # SO-1 moves to the survivor
        owner.refresh_from_db()
        for who in (owner, other):  # the merged-away profile still reaches it, and so does the survivor
            assert order_get_for_customer(customer=who, order_no="SO-1").customer_id == other.pk
            assert order_get_for_customer(customer=who, order_no="SO-9").customer_id == other.pk


def test_an_order_of_tenant_a_cannot_be_changed_from_tenant_b(two_tenants: TwoTenants) -> None:
    a, b = two_tenants.a, two_tenants.b
    for tenant in (a, b):
        connect_shop(tenant)
    push(a, shop_order("A-1"))
    push(b, shop_order("B-1"))
    order_a, order_b = get_order(a, "A-1"), get_order(b, "B-1")
    assert order_a.pk == order_b.pk  # ids repeat across schemas: the service must not trust them
    with tenant_context(b):
        customer_b = Customer.objects.get()
        with pytest.raises(Order.DoesNotExist):
            order_get_for_customer(customer=customer_b, order_no="A-1")
        with pytest.raises(Order.DoesNotExist):
            order_address_change(
                order=order_a, address=NEW, expected_version=order_address_version(order_a), actor=ACTOR
            )
    assert get_order(a, "A-1").shipping_address == get_order(b, "B-1").shipping_address == OLD_STORED
    assert written(a) == written(b) == (0, 0)
