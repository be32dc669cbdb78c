"""The plan's seat limit holds at sign-in; bursts raise it; idle seats free themselves."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from agents.models import SeatLease
from callcenter.core.testing import TEST_PASSWORD, host_of, make_tenant, make_user


def login(tenant, username: str) -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_HOST=host_of(tenant))
    client.post("/accounts/login/", {"username": username, "password": TEST_PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    return client


def test_seat_limit_is_enforced_at_sign_in(platform: None) -> None:
    from tenants.models import Plan

    Plan.objects.filter(code="starter").update(max_agents=2)
    tenant = make_tenant("tiny-shop", plan="starter")
    for name in ("a1", "a2", "a3"):
        make_user(tenant, name, agent=True)
    make_user(tenant, "boss", staff=True)

    assert "_auth_user_id" in login(tenant, "a1").session
    assert "_auth_user_id" in login(tenant, "a2").session
    third = Client(HTTP_HOST=host_of(tenant))
    response = third.post("/accounts/login/", {"username": "a3", "password": TEST_PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "All 2 agent seats of this call center are in use" in response.content.decode()
    # Signing in again on a second device does not take a second seat; admins take none.
    assert "_auth_user_id" in login(tenant, "a1").session
    assert "_auth_user_id" in login(tenant, "boss").session
    with tenant_context(tenant):
        assert SeatLease.objects.count() == 2


def test_signing_out_frees_the_seat(platform: None) -> None:
    from tenants.models import Plan

    Plan.objects.filter(code="starter").update(max_agents=1)
    tenant = make_tenant("tiny-shop", plan="starter")
    make_user(tenant, "a1", agent=True)
    make_user(tenant, "a2", agent=True)
    first = login(tenant, "a1")
    assert "_auth_user_id" not in login(tenant, "a2").session
    first.post("/accounts/logout/")
    assert "_auth_user_id" in login(tenant, "a2").session


def test_idle_seats_are_released(platform: None) -> None:
    from agents.services.seats import seats_release_idle

    tenant = make_tenant("tiny-shop", plan="starter")
    make_user(tenant, "a1", agent=True)
    login(tenant, "a1")
    with tenant_context(tenant):
        assert seats_release_idle() == 0
        SeatLease.objects.update(last_seen_at=timezone.now() - timedelta(hours=2))
        assert seats_release_idle() == 1
        assert not SeatLease.objects.exists()


def test_an_approved_burst_lets_more_agents_in(platform: None) -> None:
    from tenants.models import Plan
    from tenants.services.bursts import burst_request_create, burst_request_decide

    Plan.objects.filter(code="starter").update(max_agents=1)
    tenant = make_tenant("tiny-shop", plan="starter")
    make_user(tenant, "a1", agent=True)
    make_user(tenant, "a2", agent=True)
    login(tenant, "a1")
    assert "_auth_user_id" not in login(tenant, "a2").session
    burst = burst_request_create(
        tenant=tenant,
        seats=3,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(days=1),
        reason="",
        actor="boss",
    )
    burst_request_decide(burst=burst, approve=True, actor="operator", platform_operator=True)
    assert "_auth_user_id" in login(tenant, "a2").session
