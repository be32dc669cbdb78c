"""The customer API for agents and admins, and its isolation between tenants."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, make_user, tenant_client
from customers.models import Order
from customers.services.identity import Contact, contact_resolve


def _customer_with_orders(tenant, n: int = 3):  # type: ignore[no-untyped-def]
    with tenant_context(tenant):
        customer = contact_resolve(
            Contact(kind="app_user", external_id="app-1", display_name="陈小姐", phone="13812345678")
        ).customer
        for i in range(n):
            at = timezone.now() - timedelta(hours=i)
            Order.objects.create(
                customer=customer,
                order_no=f"JD{i}",
                status="shipped",
                amount=Decimal("10"),
                placed_at=at,
                source_updated_at=at,
            )
        return customer


def test_agents_find_a_customer_by_any_phone_format_and_read_the_timeline(two_tenants: TwoTenants) -> None:
    customer = _customer_with_orders(two_tenants.a)
    client = tenant_client(two_tenants.a, "agent")
    found = client.get("/api/v1/customers/", {"q": "+86 138-1234-5678"}).json()
    assert [c["id"] for c in found] == [customer.pk]
    assert found[0]["identities"][0]["kind"] in {"app_user", "phone"}
    page = client.get(f"/api/v1/customers/{customer.pk}/timeline/", {"limit": 2}).json()
    assert [e["summary"]["order_no"] for e in page] == ["JD0", "JD1"]
    rest = client.get(f"/api/v1/customers/{customer.pk}/timeline/", {"before": page[-1]["at"]}).json()
    assert [e["summary"]["order_no"] for e in rest] == ["JD2"]


def test_bad_timeline_parameters_are_400(two_tenants: TwoTenants) -> None:
    customer = _customer_with_orders(two_tenants.a)
    client = tenant_client(two_tenants.a, "agent")
    assert client.get(f"/api/v1/customers/{customer.pk}/timeline/", {"before": "yesterday"}).status_code == 400
    assert client.get(f"/api/v1/customers/{customer.pk}/timeline/", {"limit": "many"}).status_code == 400


def test_users_who_are_neither_staff_nor_agents_are_refused(two_tenants: TwoTenants) -> None:
    make_user(two_tenants.a, "plain")
    assert tenant_client(two_tenants.a, "plain").get("/api/v1/customers/").status_code == 403


def test_tenant_a_customers_are_404_on_tenant_b(two_tenants: TwoTenants) -> None:
    customer = _customer_with_orders(two_tenants.a)
    # B has no customer with A's id: the id means nothing there.
    assert_cross_tenant_404(two_tenants, f"/api/v1/customers/{customer.pk}/")
    assert_cross_tenant_404(two_tenants, f"/api/v1/customers/{customer.pk}/timeline/")
    assert tenant_client(two_tenants.b, "staff").get("/api/v1/customers/", {"q": "陈小姐"}).json() == []
