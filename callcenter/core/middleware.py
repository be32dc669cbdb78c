"""HTTP middleware: health probes, request context for logs, tenant resolution and guards."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import structlog
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import get_public_schema_name

from callcenter.core import health
from callcenter.core.tenancy import current_schema

log = structlog.get_logger("callcenter.request")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SESSION_TENANT_KEY = "_tenant_schema"

Handler = Callable[[HttpRequest], HttpResponse]


class HealthCheckMiddleware:
    """Answers /healthz and /readyz on any host, before tenants are resolved."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            checks = health.readiness()
            ok = all(c["ok"] for c in checks.values())
            return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
        return self.get_response(request)


class RequestContextMiddleware:
    """Gives every request an id, binds it into the logs and logs one line when it ends."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        log.info(
            "http.request",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response


class TenantMiddleware(TenantMainMiddleware):
    """django-tenants' host routing, plus: tenants still being set up are not served."""

    def get_tenant(self, domain_model, hostname):  # type: ignore[no-untyped-def]
        domain = domain_model.objects.select_related("tenant", "tenant__plan").get(domain=hostname)
        return domain.tenant

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        response = super().process_request(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.schema_name != get_public_schema_name():
            if tenant.status == "provisioning":
                raise Http404(_("This call center is still being set up."))
            structlog.contextvars.bind_contextvars(tenant=tenant.schema_name)
        return response


class SessionTenantGuardMiddleware:
    """A session is only good on the tenant that issued it (docs/adr/0002-users-per-schema.md).

    Sessions live in each tenant's schema already, so a cookie copied to another host finds
    no session there. This guard also catches a session row that reached the wrong schema.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            bound = request.session.get(SESSION_TENANT_KEY)
            if bound != current_schema():
                log.warning("auth.session_tenant_mismatch", session_schema=bound)
                # Not logout(): its signal would free a seat of this tenant's user with the same id.
                request.session.flush()
                request.user = AnonymousUser()
        return self.get_response(request)


class SuspendedTenantMiddleware:
    """A suspended tenant's pages show why; its APIs answer 403 with the reason."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is None or not getattr(tenant, "is_suspended", False):
            return self.get_response(request)
        if request.path.startswith(settings.STATIC_URL) or request.path.startswith("/i18n/"):
            return self.get_response(request)
        message = _("This call center is suspended.")
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": message, "code": "tenant_suspended", "reason": tenant.suspended_reason},
                status=403,
            )
        return render(request, "tenants/suspended.html", {"tenant": tenant}, status=403)
