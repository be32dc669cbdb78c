"""Resellers: token API scoping, tenant creation, suspension and reactivation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TEST_PASSWORD, host_of, make_tenant, make_user, tenant_client
from tenants.models import AuditEvent, Reseller, Signup, Tenant
from tenants.services.resellers import reseller_token_create, reseller_token_revoke


@pytest.fixture
def resellers(platform: None) -> dict[str, Any]:
    east = Reseller.objects.create(name="华东渠道", contact_email="east@example.cn")
    west = Reseller.objects.create(name="West Partners", contact_email="west@example.cn")
    _, east_key = reseller_token_create(reseller=east, name="billing", actor="operator")
    _, west_key = reseller_token_create(reseller=west, name="billing", actor="operator")
    return {
        "east": east,
        "west": west,
        "east_key": east_key,
        "west_key": west_key,
        "east_tenant": make_tenant("east-shop", reseller=east),
        "west_tenant": make_tenant("west-shop", reseller=west),
    }


def api(key: str | None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return Client(HTTP_HOST="localhost", **headers)


def test_a_reseller_lists_only_its_own_tenants(resellers: dict[str, Any]) -> None:
    body = api(resellers["east_key"]).get("/api/v1/reseller/tenants/").json()
    assert [t["subdomain"] for t in body] == ["east-shop"]


def test_another_resellers_tenant_does_not_exist_for_it(resellers: dict[str, Any]) -> None:
    west_id = resellers["west_tenant"].pk
    client = api(resellers["east_key"])
    assert client.get(f"/api/v1/reseller/tenants/{west_id}/").status_code == 404
    assert (
        client.post(
            f"/api/v1/reseller/tenants/{west_id}/suspend/", {"reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert Tenant.objects.get(pk=west_id).status == "active"


def test_tokens_are_required_and_checked(resellers: dict[str, Any]) -> None:
    assert api(None).get("/api/v1/reseller/tenants/").status_code in (401, 403)
    assert api("rsk_forged").get("/api/v1/reseller/tenants/").status_code == 401
    token = resellers["east"].tokens.get()
    reseller_token_revoke(token=token, actor="east")
    assert api(resellers["east_key"]).get("/api/v1/reseller/tenants/").status_code == 401
    assert token.key_hash != resellers["east_key"] and resellers["east_key"] not in str(
        list(resellers["east"].tokens.values())
    )


def test_a_reseller_creates_a_tenant_for_its_customer(resellers: dict[str, Any]) -> None:
    response = api(resellers["east_key"]).post(
        "/api/v1/reseller/tenants/",
        {
            "company_name": "苏州小店",
            "subdomain": "suzhou-shop",
            "admin_email": "owner@suzhou.cn",
            "admin_password": "Str0ng-pass-2026!",
            "plan": "enterprise",
        },
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    signup = Signup.objects.get(pk=response.json()["id"])
    assert signup.reseller == resellers["east"]
    # Provisioning is tested through the worker elsewhere; run it here directly.
    from tenants.services.provisioning import signup_provision

    assert signup_provision(signup_id=str(signup.pk)).tenant.reseller == resellers["east"]


def test_suspension_blocks_users_with_a_reason_and_keeps_all_data(resellers: dict[str, Any]) -> None:
    tenant = resellers["east_tenant"]
    make_user(tenant, "staff", staff=True)
    staff = tenant_client(tenant, "staff")
    client = api(resellers["east_key"])

    assert (
        client.post(f"/api/v1/reseller/tenants/{tenant.pk}/suspend/", {}, content_type="application/json").status_code
        == 400
    )
    response = client.post(
        f"/api/v1/reseller/tenants/{tenant.pk}/suspend/",
        {"reason": "合同到期 contract ended"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["status"] == "suspended"

    page = staff.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 403 and "suspended" in page.content.decode()
    assert "合同到期 contract ended" in page.content.decode()
    api_response = staff.get("/api/v1/usage/", HTTP_ACCEPT_LANGUAGE="en")
    assert api_response.status_code == 403
    assert api_response.json() == {
        "detail": "This call center is suspended.",
        "code": "tenant_suspended",
        "reason": "合同到期 contract ended",
    }
    with tenant_context(tenant):
        from django.contrib.auth import get_user_model

        assert get_user_model().objects.filter(username="staff").exists()  # nothing deleted

    assert client.post(f"/api/v1/reseller/tenants/{tenant.pk}/reactivate/").status_code == 200
    assert staff.get("/").status_code == 200
    actions = list(AuditEvent.objects.filter(tenant=tenant).values_list("action", flat=True))
    assert "tenant.suspended" in actions and "tenant.reactivated" in actions


def test_reseller_console_shows_own_tenants_and_suspends(resellers: dict[str, Any]) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("east-user", password=TEST_PASSWORD)
    resellers["east"].users.add(user)
    console = Client(HTTP_HOST="localhost")
    assert console.post("/reseller/login/", {"username": "east-user", "password": TEST_PASSWORD}).status_code == 302
    page = console.get("/reseller/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "east-shop" in page and "west-shop" not in page
    west_id = resellers["west_tenant"].pk
    assert console.post(f"/reseller/tenants/{west_id}/suspend/", {"reason": "x"}).status_code == 404
    east_id = resellers["east_tenant"].pk
    assert console.post(f"/reseller/tenants/{east_id}/suspend/", {"reason": "unpaid"}).status_code == 302
    assert Tenant.objects.get(pk=east_id).status == "suspended"
    created = console.post("/reseller/tokens/", {"name": "ERP"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "rsk_" in created and "shown only this once" in created


def test_a_console_user_who_is_no_reseller_is_refused(platform: None) -> None:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("nobody", password=TEST_PASSWORD)
    console = Client(HTTP_HOST="localhost")
    console.post("/reseller/login/", {"username": "nobody", "password": TEST_PASSWORD})
    assert console.get("/reseller/").status_code == 403


def test_suspended_tenant_host_lists_no_apis_but_public_site_works(resellers: dict[str, Any]) -> None:
    tenant = resellers["east_tenant"]
    from tenants.services.resellers import tenant_suspend

    tenant_suspend(tenant=tenant, reason="unpaid", actor="operator")
    assert Client(HTTP_HOST=host_of(tenant)).get("/api/v1/usage/").status_code == 403
    assert Client(HTTP_HOST="localhost").get("/").status_code == 200


def test_the_reseller_sees_the_latest_usage_of_each_tenant(resellers: dict[str, Any]) -> None:
    from tenants.services.usage import usage_snapshot_take

    tenant = resellers["east_tenant"]
    make_user(tenant, "a1", agent=True)
    with tenant_context(tenant):
        usage_snapshot_take()
        make_user(tenant, "a2", agent=True)
        usage_snapshot_take()
    listed = api(resellers["east_key"]).get("/api/v1/reseller/tenants/").json()
    assert listed[0]["usage"]["agents"] == 2 and listed[0]["usage"]["storage_bytes"] > 0
    one = api(resellers["east_key"]).get(f"/api/v1/reseller/tenants/{tenant.pk}/").json()
    assert one["usage"] == listed[0]["usage"]
