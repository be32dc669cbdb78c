"""Burst seats: requested by a tenant, decided by its reseller or the platform, and expiring by themselves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from callcenter.core.errors import ConflictError, PermissionDeniedError
from callcenter.core.testing import make_tenant, make_user, tenant_client
from tenants.models import BurstSeatRequest, Reseller
from tenants.selectors import seat_limit_for
from tenants.services.bursts import burst_expire_due, burst_request_create, burst_request_decide
from tenants.services.resellers import reseller_token_create


@pytest.fixture
def setup(platform: None) -> dict[str, Any]:
    reseller = Reseller.objects.create(name="华东渠道", contact_email="east@example.cn")
    other = Reseller.objects.create(name="Other", contact_email="o@example.cn")
    _, key = reseller_token_create(reseller=reseller, name="api", actor="t")
    return {
        "reseller": reseller,
        "other": other,
        "key": key,
        "tenant": make_tenant("promo-shop", plan="enterprise", reseller=reseller),  # 500 seats
        "direct": make_tenant("direct-shop", plan="starter"),  # 10 seats, no reseller
    }


def request_burst(tenant: Any, seats: int = 1500, days: int = 7, start_offset: int = 0) -> BurstSeatRequest:
    start = timezone.now() + timedelta(minutes=start_offset)
    return burst_request_create(
        tenant=tenant,
        seats=seats,
        starts_at=start,
        ends_at=start + timedelta(days=days),
        reason="双11大促 Singles' Day",
        actor="admin",
    )


def test_500_to_1500_for_a_promotion_approved_by_the_reseller(setup: dict[str, Any]) -> None:
    tenant = setup["tenant"]
    burst = request_burst(tenant)
    assert seat_limit_for(tenant) == 500  # not before approval
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {setup['key']}")
    pending = client.get("/api/v1/reseller/burst-requests/").json()
    assert [p["id"] for p in pending] == [burst.pk]
    response = client.post(
        f"/api/v1/reseller/burst-requests/{burst.pk}/approve/", {"note": "ok"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert seat_limit_for(tenant) == 1500
    # Deciding twice is refused.
    again = client.post(f"/api/v1/reseller/burst-requests/{burst.pk}/reject/", content_type="application/json")
    assert again.status_code == 409


def test_only_the_tenants_own_reseller_may_decide(setup: dict[str, Any]) -> None:
    burst = request_burst(setup["tenant"])
    with pytest.raises(PermissionDeniedError):
        burst_request_decide(burst=burst, approve=True, actor="x", reseller=setup["other"])
    _, other_key = reseller_token_create(reseller=setup["other"], name="api", actor="t")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {other_key}")
    assert client.post(f"/api/v1/reseller/burst-requests/{burst.pk}/approve/").status_code == 404
    assert BurstSeatRequest.objects.get(pk=burst.pk).status == "pending"


def test_direct_tenants_bursts_are_decided_by_the_platform(setup: dict[str, Any]) -> None:
    burst = request_burst(setup["direct"], seats=30)
    with pytest.raises(PermissionDeniedError):
        burst_request_decide(burst=burst, approve=True, actor="x", reseller=setup["reseller"])
    burst_request_decide(burst=burst, approve=True, actor="operator", platform_operator=True)
    assert seat_limit_for(setup["direct"]) == 30


def test_a_burst_expires_by_itself(setup: dict[str, Any]) -> None:
    tenant = setup["tenant"]
    burst = request_burst(tenant, days=2)
    burst_request_decide(burst=burst, approve=True, actor="r", reseller=setup["reseller"])
    assert seat_limit_for(tenant) == 1500
    later = timezone.now() + timedelta(days=2, minutes=1)
    assert seat_limit_for(tenant, at=later) == 500  # the limit follows the clock even before the sweep
    assert burst_expire_due(now=later) == 1
    assert BurstSeatRequest.objects.get(pk=burst.pk).status == "expired"
    assert burst_expire_due(now=later) == 0  # safe to run again


def test_a_future_burst_does_not_count_until_it_starts(setup: dict[str, Any]) -> None:
    tenant = setup["tenant"]
    burst = request_burst(tenant, start_offset=60)
    burst_request_decide(burst=burst, approve=True, actor="r", reseller=setup["reseller"])
    assert seat_limit_for(tenant) == 500
    assert seat_limit_for(tenant, at=timezone.now() + timedelta(minutes=61)) == 1500


@pytest.mark.parametrize(
    ("seats", "days", "field"),
    [(400, 3, "seats"), (500, 3, "seats"), (5001, 3, "seats"), (1500, 90, "ends_at")],
)
def test_bad_burst_requests_are_refused_and_nothing_is_written(
    setup: dict[str, Any], seats: int, days: int, field: str
) -> None:
    with pytest.raises(ValidationError) as error:
        request_burst(setup["tenant"], seats=seats, days=days)
    assert field in error.value.message_dict
    assert not BurstSeatRequest.objects.exists()


def test_end_before_start_is_refused(setup: dict[str, Any]) -> None:
    now = timezone.now()
    with pytest.raises(ValidationError):
        burst_request_create(
            tenant=setup["tenant"], seats=900, starts_at=now, ends_at=now - timedelta(hours=1), reason="", actor="a"
        )
    assert not BurstSeatRequest.objects.exists()


def test_tenant_admin_requests_a_burst_over_its_api(setup: dict[str, Any]) -> None:
    tenant = setup["tenant"]
    make_user(tenant, "boss", staff=True)
    client = tenant_client(tenant, "boss")
    start = timezone.now()
    response = client.post(
        "/api/v1/burst-requests/",
        {
            "seats": 1500,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(days=3)).isoformat(),
            "reason": "618",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    bad = client.post(
        "/api/v1/burst-requests/",
        {"seats": 10, "starts_at": start.isoformat(), "ends_at": (start + timedelta(days=3)).isoformat()},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "seats" in bad.json()["errors"]
    assert BurstSeatRequest.objects.filter(tenant=tenant).count() == 1
    usage = client.get("/api/v1/usage/").json()
    assert usage["seat_limit"] == 500 and usage["plan"] == "enterprise"


def test_deciding_a_request_whose_period_is_over_is_refused(setup: dict[str, Any]) -> None:
    burst = request_burst(setup["tenant"])
    past = timezone.now() - timedelta(days=1)
    BurstSeatRequest.objects.filter(pk=burst.pk).update(starts_at=past - timedelta(days=1), ends_at=past)
    burst.refresh_from_db()
    with pytest.raises(ConflictError):
        burst_request_decide(burst=burst, approve=True, actor="r", reseller=setup["reseller"])
