"""Signing up: through a real Celery worker, bad input, concurrency, failure and retry."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists, tenant_context

from callcenter.core.tenancy import use_public_schema
from tenants.models import AuditEvent, Domain, Signup, Tenant
from tenants.tests.test_validators import BAD

GOOD_INPUT = {
    "company_name": "杭州优选商贸有限公司",
    "subdomain": "youxuan",
    "admin_email": "Boss@YouXuan.example.cn",
    "admin_password": "Str0ng-pass-2026!",
    "plan": "growth",
}


def public_client() -> Client:
    return Client(HTTP_HOST="localhost")


def wait_for_status(signup_url: str, client: Client, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(signup_url).json()
        if body["status"] in ("active", "failed"):
            return body
        time.sleep(0.1)
    raise AssertionError(f"signup still {body['status']} after {timeout}s")


def counts() -> tuple[int, int, int, int]:
    use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        schemas = cursor.fetchone()[0]
    return Signup.objects.count(), Tenant.objects.count(), Domain.objects.count(), schemas


def test_api_signup_provisions_through_a_real_worker(celery_worker: object) -> None:
    client = public_client()
    response = client.post("/api/v1/signup/", GOOD_INPUT, content_type="application/json")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] in ("pending", "provisioning", "active")
    assert body["status_url"].endswith(f"/api/v1/signup/{body['id']}/")

    final = wait_for_status(f"/api/v1/signup/{body['id']}/", client)
    assert final["status"] == "active", final
    assert final["tenant_url"] == "http://youxuan.localhost:8000/"

    tenant = Tenant.objects.get(subdomain="youxuan")
    assert tenant.schema_name == "t_youxuan" and tenant.status == "active"
    assert Signup.objects.get(pk=body["id"]).admin_password_hash == ""  # the hash is not kept
    with tenant_context(tenant):
        from django.contrib.auth import get_user_model

        from agents.models import Skill

        admin = get_user_model().objects.get(username="boss@youxuan.example.cn")
        assert admin.is_superuser and admin.check_password("Str0ng-pass-2026!")
        assert set(Skill.objects.values_list("code", flat=True)) >= {"vip", "after-sales", "logistics", "pre-sales"}
    assert AuditEvent.objects.filter(action="tenant.provisioned", tenant=tenant).exists()

    # The new admin signs into the tenant's own admin and sees the first-run checklist.
    tenant_admin = Client(HTTP_HOST="youxuan.localhost")
    login = tenant_admin.post(
        "/admin/login/?next=/admin/", {"username": "boss@youxuan.example.cn", "password": "Str0ng-pass-2026!"}
    )
    assert login.status_code == 302
    page = tenant_admin.get("/admin/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Add agents" in page.content.decode() and "Connect a channel" in page.content.decode()


def test_html_signup_shows_progress_then_links_to_the_tenant(celery_worker: object) -> None:
    client = public_client()
    form = client.get("/signup/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert form.status_code == 200 and "创建" in form.content.decode()
    response = client.post("/signup/", {**GOOD_INPUT, "admin_password": GOOD_INPUT["admin_password"]})
    assert response.status_code == 302
    progress_url = response["Location"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        partial = client.get(progress_url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        if 'data-status="active"' in partial:
            break
        assert 'data-status="failed"' not in partial
        time.sleep(0.1)
    assert "http://youxuan.localhost:8000/admin/" in partial
    assert 'role="progressbar"' in partial


@pytest.mark.parametrize("subdomain", BAD)
def test_bad_subdomains_give_400_and_leave_nothing(platform: None, subdomain: str) -> None:
    before = counts()
    response = public_client().post(
        "/api/v1/signup/", {**GOOD_INPUT, "subdomain": subdomain}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "subdomain" in response.json()["errors"]
    assert counts() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("company_name", ""),
        ("company_name", "   "),
        ("admin_email", "not-an-email"),
        ("admin_password", "123"),
        ("admin_password", "password123"),
        ("plan", "platinum-unlimited"),
    ],
)
def test_bad_fields_give_400_with_field_errors(platform: None, field: str, value: str) -> None:
    before = counts()
    response = public_client().post("/api/v1/signup/", {**GOOD_INPUT, field: value}, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert counts() == before


def test_missing_fields_and_wrong_types(platform: None) -> None:
    before = counts()
    client = public_client()
    assert client.post("/api/v1/signup/", {}, content_type="application/json").status_code == 400
    assert client.post("/api/v1/signup/", "[1,2]", content_type="application/json").status_code == 400
    assert client.post("/api/v1/signup/", "{bad json", content_type="application/json").status_code == 400
    assert counts() == before


def test_html_form_errors_keep_input_and_write_nothing(platform: None) -> None:
    before = counts()
    response = public_client().post("/signup/", {**GOOD_INPUT, "subdomain": "admin"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    page = response.content.decode()
    assert "reserved" in page and "杭州优选商贸有限公司" in page
    assert counts() == before


def test_taken_subdomain_is_a_clear_409(platform: None) -> None:
    from callcenter.core.testing import make_tenant

    make_tenant("youxuan")
    before = counts()
    response = public_client().post("/api/v1/signup/", GOOD_INPUT, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["code"] == "subdomain_taken"
    assert counts() == before


def test_concurrent_signups_for_one_subdomain_have_exactly_one_winner(platform: None) -> None:
    results: list[int] = []
    barrier = threading.Barrier(4)

    def attempt(i: int) -> None:
        from django.db import connections

        barrier.wait()
        try:
            response = public_client().post(
                "/api/v1/signup/",
                {**GOOD_INPUT, "admin_email": f"boss{i}@example.cn"},
                content_type="application/json",
            )
            results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [202, 409, 409, 409]
    assert Signup.objects.filter(subdomain="youxuan").count() == 1


def test_failed_provisioning_leaves_nothing_and_can_be_retried(platform: None, monkeypatch: Any) -> None:
    from agents.services import bootstrap
    from tenants.services.provisioning import signup_provision
    from tenants.services.signup import signup_retry

    signup = _queued_signup()

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(bootstrap, "tenant_bootstrap", broken)
    failed = signup_provision(signup_id=str(signup.pk))
    assert failed.status == "failed" and "retried" in failed.failure_reason
    assert not Tenant.objects.filter(subdomain="youxuan").exists()
    assert not Domain.objects.filter(domain="youxuan.localhost").exists()
    assert not schema_exists("t_youxuan")

    # The status API explains the failure.
    body = public_client().get(f"/api/v1/signup/{signup.pk}/").json()
    assert body["status"] == "failed" and body["failure_reason"]

    monkeypatch.undo()
    retried = signup_retry(signup=failed)
    assert retried.status == "pending"
    done = signup_provision(signup_id=str(signup.pk))
    assert done.status == "active" and schema_exists("t_youxuan")


def test_provisioning_twice_is_harmless(platform: None) -> None:
    from tenants.services.provisioning import signup_provision

    signup = _queued_signup()
    assert signup_provision(signup_id=str(signup.pk)).status == "active"
    assert signup_provision(signup_id=str(signup.pk)).status == "active"
    assert Tenant.objects.filter(subdomain="youxuan").count() == 1


def test_unknown_signup_status_is_404(platform: None) -> None:
    client = public_client()
    assert client.get("/api/v1/signup/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/signup/00000000-0000-0000-0000-000000000000/").status_code == 404


def _queued_signup() -> Signup:
    from django.contrib.auth.hashers import make_password

    from tenants.models import Plan

    return Signup.objects.create(
        company_name="优选",
        subdomain="youxuan",
        admin_email="boss@youxuan.example.cn",
        admin_password_hash=make_password("Str0ng-pass-2026!"),
        plan=Plan.objects.get(code="growth"),
    )


def test_the_signup_form_is_rate_limited_per_address(platform: None, settings: Any, monkeypatch: Any) -> None:
    from callcenter.core import throttle

    frozen = time.time()
    monkeypatch.setattr(throttle, "_now", lambda: frozen)  # stay inside one counting window
    settings.SIGNUP_MAX_PER_IP_PER_HOUR = 2
    client = public_client()
    for _ in range(2):
        assert client.post("/signup/", {**GOOD_INPUT, "subdomain": "admin"}).status_code == 400
    before = counts()
    response = client.post("/signup/", GOOD_INPUT, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429 and "Too many signups" in response.content.decode()
    assert counts() == before


def test_a_signup_whose_task_was_lost_can_be_retried_after_a_while(platform: None) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from callcenter.core.errors import ConflictError
    from tenants.services.signup import STALE_AFTER, signup_retry

    signup = _queued_signup()
    with pytest.raises(ConflictError):
        signup_retry(signup=signup)  # still fresh: its task may yet run
    Signup.objects.filter(pk=signup.pk).update(updated_at=timezone.now() - STALE_AFTER - timedelta(seconds=1))
    signup.refresh_from_db()
    assert signup_retry(signup=signup).status == "pending"
