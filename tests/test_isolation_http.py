"""Tenants are isolated over HTTP: logins, sessions and ids do not cross hosts."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TEST_PASSWORD, TwoTenants, host_of, tenant_client


def test_a_user_of_tenant_a_cannot_log_into_tenant_b(two_tenants: TwoTenants) -> None:
    from callcenter.core.testing import make_user

    make_user(two_tenants.a, "only-in-a", staff=True)
    client_b = Client(HTTP_HOST=host_of(two_tenants.b))
    response = client_b.post("/accounts/login/", {"username": "only-in-a", "password": TEST_PASSWORD})
    assert response.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client_b.session


def test_a_session_cookie_from_tenant_a_is_refused_on_tenant_b(two_tenants: TwoTenants) -> None:
    client_a = tenant_client(two_tenants.a, "staff")
    assert client_a.get("/").status_code == 200
    stolen = client_a.cookies[settings.SESSION_COOKIE_NAME].value

    client_b = Client(HTTP_HOST=host_of(two_tenants.b))
    client_b.cookies[settings.SESSION_COOKIE_NAME] = stolen
    # B has a user with the same id and name; the session still must not work there.
    assert client_b.get("/").status_code == 302
    assert client_b.get("/admin/").status_code == 302
    assert client_b.get("/api/v1/usage/").status_code == 403


def test_session_bound_to_another_schema_is_dropped(two_tenants: TwoTenants) -> None:
    """Defence in depth: even a session row that sits in B's table but was issued by A is refused."""
    from django.contrib.sessions.backends.db import SessionStore

    client_a = tenant_client(two_tenants.a, "staff")
    key = client_a.cookies[settings.SESSION_COOKIE_NAME].value
    with tenant_context(two_tenants.a):
        data = SessionStore(key).load()
    with tenant_context(two_tenants.b):
        forged = SessionStore()
        forged.update(data)
        forged.create()
        forged_key = forged.session_key
    client_b = Client(HTTP_HOST=host_of(two_tenants.b))
    client_b.cookies[settings.SESSION_COOKIE_NAME] = forged_key
    assert data["_tenant_schema"] == two_tenants.a.schema_name
    assert client_b.get("/").status_code == 302


def test_unknown_host_is_404(platform: None) -> None:
    assert Client(HTTP_HOST="nobody.localhost").get("/").status_code == 404


def test_tenant_admin_does_not_list_public_platform_models(two_tenants: TwoTenants) -> None:
    page = tenant_client(two_tenants.a, "staff").get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "/admin/tenants/tenant/" not in page and "/admin/tenants/plan/" not in page
    assert "/admin/agents/agentprofile/" in page


def test_tenant_a_objects_are_404_from_tenant_b(two_tenants: TwoTenants) -> None:
    from callcenter.core.testing import assert_cross_tenant_404, make_user
    from tenants.services.bursts import burst_request_create

    user = make_user(two_tenants.a, "only-in-a-user")
    # A user id that exists only in A (B has two users).
    assert_cross_tenant_404(two_tenants, f"/admin/auth/user/{user.pk}/change/")
    from datetime import timedelta

    from django.utils import timezone

    burst = burst_request_create(
        tenant=two_tenants.a,
        seats=200,
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(days=3),
        reason="双11",
        actor="staff",
    )
    assert_cross_tenant_404(two_tenants, f"/admin/tenants/burstseatrequest/{burst.pk}/change/")


@pytest.mark.parametrize("path", ["/accounts/login/", "/admin/login/"])
def test_repeated_failed_logins_lock_the_account_out(two_tenants: TwoTenants, path: str) -> None:
    client = Client(HTTP_HOST=host_of(two_tenants.a))
    for _ in range(settings.LOGIN_MAX_FAILURES):
        client.post(path, {"username": "staff", "password": "wrong"})
    # Even the right password is refused while locked out, with a clear message.
    response = client.post(path, {"username": "staff", "password": TEST_PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    # The lockout is per tenant: the same username on B is not locked.
    other = Client(HTTP_HOST=host_of(two_tenants.b))
    assert other.post(path, {"username": "staff", "password": TEST_PASSWORD}).status_code == 302


def test_platform_admin_and_reseller_logins_are_rate_limited(platform: None) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("operator", password=TEST_PASSWORD, is_staff=True, is_superuser=True)
    for path in ("/admin/login/", "/reseller/login/"):
        client = Client(HTTP_HOST="localhost")
        for _ in range(settings.LOGIN_MAX_FAILURES):
            client.post(path, {"username": "operator", "password": "nope"})
        response = client.post(path, {"username": "operator", "password": TEST_PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
        assert "Too many failed sign-in attempts" in response.content.decode(), path
