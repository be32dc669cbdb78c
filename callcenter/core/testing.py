"""Test helpers shared by every app: tenants made for a test, clients and sockets bound to them,
and the two-tenant isolation checks every app runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from callcenter.core.tenancy import use_public_schema
from tenants.models import Plan, Reseller, Signup, Tenant

TEST_PASSWORD = "Test-pass-2026!"


def host_of(tenant: Tenant) -> str:
    return f"{tenant.subdomain}.{settings.BASE_DOMAIN}"


def make_tenant(
    subdomain: str, *, plan: str = "growth", reseller: Reseller | None = None, name: str | None = None
) -> Tenant:
    """Provision a tenant through the real provisioning service (schema clone), synchronously."""
    from tenants.services.provisioning import signup_provision

    with schema_context("public"):
        signup = Signup.objects.create(
            company_name=name or f"{subdomain} 公司",
            subdomain=subdomain,
            admin_email=f"admin@{subdomain}.example.cn",
            admin_password_hash=make_password(TEST_PASSWORD),
            plan=Plan.objects.get(code=plan),
            reseller=reseller,
        )
        signup = signup_provision(signup_id=str(signup.pk))
        assert signup.tenant is not None, signup.failure_reason
        return Tenant.objects.select_related("plan").get(pk=signup.tenant.pk)


def make_user(tenant: Tenant, username: str, *, agent: bool = False, staff: bool = False) -> Any:
    from agents.models import AgentProfile

    with tenant_context(tenant):
        user = get_user_model().objects.create_user(
            username=username, password=TEST_PASSWORD, is_staff=staff, is_superuser=staff
        )
        if agent:
            AgentProfile.objects.create(user=user, display_name=username)
        return user


def tenant_client(tenant: Tenant, username: str | None = None) -> Client:
    """A test client on the tenant's host, signed in as ``username`` through the real login form."""
    client = Client(HTTP_HOST=host_of(tenant))
    if username:
        response = client.post("/accounts/login/", {"username": username, "password": TEST_PASSWORD})
        assert response.status_code == 302, getattr(response, "context", None) and response.context["form"].errors
    use_public_schema()
    return client


def ws_communicator(
    tenant: Tenant,
    path: str = "/ws/staff/",
    *,
    client: Client | None = None,
    origin: str | None = None,
    host: str | None = None,
) -> WebsocketCommunicator:
    from callcenter.asgi import application

    the_host = host or host_of(tenant)
    headers = [(b"host", the_host.encode())]
    the_origin = f"http://{the_host}" if origin is None else origin
    if the_origin:  # "" sends no Origin header at all
        headers.append((b"origin", the_origin.encode()))
    if client is not None and settings.SESSION_COOKIE_NAME in client.cookies:
        cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


@dataclass
class TwoTenants:
    """Tenant A and tenant B, each with a staff admin and an agent, for isolation tests."""

    a: Tenant
    b: Tenant

    def client(self, which: str, username: str = "staff") -> Client:
        return tenant_client(getattr(self, which), username)


def make_two_tenants() -> TwoTenants:
    pair = TwoTenants(a=make_tenant("tenant-a"), b=make_tenant("tenant-b"))
    for tenant in (pair.a, pair.b):
        make_user(tenant, "staff", staff=True)
        make_user(tenant, "agent", agent=True)
    return pair


def assert_cross_tenant_404(pair: TwoTenants, path_of_a_object: str, *, method: str = "get") -> None:
    """An id that exists in A must be unknown when asked for on B's host, by B's own staff.

    APIs and pages answer 404. Django's admin says "no such object" its own way: a redirect
    to the admin home with a message, which is accepted for /admin/ paths only.
    """
    client_b = pair.client("b")
    response = getattr(client_b, method)(path_of_a_object)
    if path_of_a_object.startswith("/admin/") and response.status_code == 302:
        assert response["Location"] == "/admin/", f"{path_of_a_object} on B redirected to {response['Location']}"
        return
    assert response.status_code == 404, f"{path_of_a_object} on B answered {response.status_code}"
