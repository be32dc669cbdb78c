"""Merging is reversible and audit-logged; nothing is deleted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.errors import ConflictError
from callcenter.core.testing import make_tenant, make_user, tenant_client
from customers.models import (
    ActivityEvent,
    ChannelIdentity,
    Customer,
    CustomerAudit,
    MembershipTier,
    MergeSuggestion,
    Order,
)
from customers.selectors import customer_timeline
from customers.services.identity import Contact, contact_resolve
from customers.services.merge import customer_merge, customer_unmerge


def _order(customer: Customer, no: str, days_ago: int) -> Order:
    at = timezone.now() - timedelta(days=days_ago)
    return Order.objects.create(
        customer=customer,
        order_no=no,
        status="paid",
        amount=Decimal("99.00"),
        placed_at=at,
        source_updated_at=at,
        shipping_address={"province": "浙江省", "city": "杭州市", "detail": "西湖区文三路 1 号"},
    )


def test_merge_then_unmerge_restores_both_profiles_exactly(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        a = contact_resolve(
            Contact(kind="wechat_openid", namespace="wx", external_id="o-1", display_name="小红", phone="13800000001")
        ).customer
        b = contact_resolve(
            Contact(kind="app_user", external_id="app-7", display_name="小红", phone="13800000002", tier_code="gold")
        ).customer
        _order(a, "A-1", 3)
        _order(b, "B-1", 1)
        ActivityEvent.objects.create(customer=b, kind="viewed_order", occurred_at=timezone.now(), external_id="e1")
        before_a = set(ChannelIdentity.objects.filter(customer=a).values_list("pk", flat=True))
        before_b = set(ChannelIdentity.objects.filter(customer=b).values_list("pk", flat=True))

        record = customer_merge(survivor=a, merged=b, actor="boss")
        a.refresh_from_db()
        b.refresh_from_db()
        assert b.merged_into_id == a.pk
        assert set(a.phones) == {"+8613800000001", "+8613800000002"}
        assert a.tier.code == "gold"  # the better membership is kept
        assert [e.kind for e in customer_timeline(a)] == ["activity", "order", "order"]
        # A new contact on b's channel now lands on the survivor.
        assert contact_resolve(Contact(kind="app_user", external_id="app-7")).customer.pk == a.pk
        assert MergeSuggestion.objects.filter(status="open").count() == 0

        customer_unmerge(merge=record, actor="boss")
        a.refresh_from_db()
        b.refresh_from_db()
        assert b.merged_into_id is None
        assert a.phones == ["+8613800000001"] and a.tier.code == "normal"
        assert set(ChannelIdentity.objects.filter(customer=a).values_list("pk", flat=True)) == before_a
        assert set(ChannelIdentity.objects.filter(customer=b).values_list("pk", flat=True)) == before_b
        assert list(Order.objects.filter(customer=b).values_list("order_no", flat=True)) == ["B-1"]
        actions = list(CustomerAudit.objects.filter(customer=a).values_list("action", flat=True))
        assert sorted(actions) == ["merged", "unmerged"]
        assert Customer.objects.count() == 2  # nothing deleted
        with pytest.raises(ConflictError):
            customer_unmerge(merge=record, actor="boss")


def test_bad_merges_are_refused_and_change_nothing(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        a = contact_resolve(Contact(kind="web_visitor", external_id="v-1")).customer
        b = contact_resolve(Contact(kind="web_visitor", external_id="v-2")).customer
        c = contact_resolve(Contact(kind="web_visitor", external_id="v-3")).customer
        with pytest.raises(ConflictError):
            customer_merge(survivor=a, merged=a, actor="boss")
        first = customer_merge(survivor=a, merged=b, actor="boss")
        with pytest.raises(ConflictError):
            customer_merge(survivor=c, merged=b, actor="boss")  # b is already merged
        second = customer_merge(survivor=c, merged=a, actor="boss")
        with pytest.raises(ConflictError):
            customer_unmerge(merge=first, actor="boss")  # undo the later merge first
        customer_unmerge(merge=second, actor="boss")
        customer_unmerge(merge=first, actor="boss")
        assert Customer.objects.filter(merged_into__isnull=True).count() == 3


def test_timeline_pages_newest_first(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        customer = contact_resolve(Contact(kind="web_visitor", external_id="v-1")).customer
        for i in range(5):
            _order(customer, f"O-{i}", days_ago=i)
        first = customer_timeline(customer, limit=2)
        assert [e.summary["order_no"] for e in first] == ["O-0", "O-1"]
        second = customer_timeline(customer, before=first[-1].at, limit=2)
        assert [e.summary["order_no"] for e in second] == ["O-2", "O-3"]
        assert customer_timeline(customer, before=second[-1].at, limit=10)[0].summary["order_no"] == "O-4"


def test_the_review_queue_merges_and_undoes_in_the_admin(platform: None) -> None:
    tenant = make_tenant("shop-one")
    make_user(tenant, "boss", staff=True)
    with tenant_context(tenant):
        contact_resolve(Contact(kind="web_visitor", external_id="v-1", display_name="同名"))
        contact_resolve(Contact(kind="web_visitor", external_id="v-2", display_name="同名"))
        suggestion = MergeSuggestion.objects.get()
    client = tenant_client(tenant, "boss")
    page = client.get("/admin/customers/mergesuggestion/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "同名" in page.content.decode()
    client.post("/admin/customers/mergesuggestion/", {"action": "merge", "_selected_action": [suggestion.pk]})
    with tenant_context(tenant):
        assert Customer.objects.filter(merged_into__isnull=False).count() == 1
        from customers.models import CustomerMerge

        record = CustomerMerge.objects.get()
    client.post("/admin/customers/customermerge/", {"action": "undo", "_selected_action": [record.pk]})
    with tenant_context(tenant):
        assert Customer.objects.filter(merged_into__isnull=False).count() == 0
        assert MembershipTier.objects.count() == 4
