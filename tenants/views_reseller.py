"""The reseller console on the public domain: the reseller's tenants, bursts and API keys."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from callcenter.core.errors import NotFoundError, ServiceError
from callcenter.core.throttle import client_ip
from tenants.forms import ResellerLoginForm, ResellerTenantForm, SuspendForm
from tenants.models import Reseller
from tenants.selectors import (
    burst_get_for_reseller,
    burst_list_pending_for_reseller,
    tenant_get_for_reseller,
    tenant_list_for_reseller,
    usage_latest_by_tenant,
)
from tenants.services.bursts import burst_request_decide
from tenants.services.resellers import (
    reseller_token_create,
    reseller_token_revoke,
    tenant_reactivate,
    tenant_suspend,
)
from tenants.services.signup import signup_submit
from tenants.views_public import add_service_errors

View = Callable[..., HttpResponse]


class ResellerLoginView(auth_views.LoginView):
    template_name = "tenants/reseller/login.html"
    authentication_form = ResellerLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return "/reseller/"


def reseller_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(f"/reseller/login/?next={request.path}")
        reseller = Reseller.objects.filter(users=request.user, is_active=True).first()
        if reseller is None:
            return render(request, "tenants/reseller/not_reseller.html", status=403)
        return view(request, reseller, *args, **kwargs)

    return wrapper


@reseller_required
def dashboard(request: HttpRequest, reseller: Reseller) -> HttpResponse:
    tenants = list(tenant_list_for_reseller(reseller))
    latest = usage_latest_by_tenant([t.pk for t in tenants])
    for tenant in tenants:
        tenant.latest_usage = latest.get(tenant.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "tenants/reseller/dashboard.html",
        {
            "reseller": reseller,
            "tenants": tenants,
            "bursts": burst_list_pending_for_reseller(reseller),
            "tokens": reseller.tokens.filter(revoked_at__isnull=True),
            "suspend_form": SuspendForm(),
        },
    )


@reseller_required
def tenant_create(request: HttpRequest, reseller: Reseller) -> HttpResponse:
    form = ResellerTenantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = signup_submit(
                company_name=form.cleaned_data["company_name"],
                subdomain=form.cleaned_data["subdomain"],
                admin_email=form.cleaned_data["admin_email"],
                admin_password=form.cleaned_data["admin_password"],
                plan_code=form.cleaned_data["plan"].code,
                reseller=reseller,
                language=get_language() or "zh-hans",
                actor=request.user.get_username(),
                ip=client_ip(request),
            )
        except (ValidationError, ServiceError) as exc:
            add_service_errors(form, exc)  # type: ignore[arg-type]
        else:
            return redirect("signup-progress", signup_id=created.pk)
    return render(
        request,
        "tenants/reseller/tenant_form.html",
        {"form": form, "reseller": reseller},
        status=400 if request.method == "POST" else 200,
    )


def _owned_tenant(reseller: Reseller, tenant_id: int) -> Any:
    try:
        return tenant_get_for_reseller(reseller, tenant_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc


@require_POST
@reseller_required
def tenant_suspend_view(request: HttpRequest, reseller: Reseller, tenant_id: int) -> HttpResponse:
    tenant = _owned_tenant(reseller, tenant_id)
    form = SuspendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the tenant is suspended; its users will see it."))
        return redirect("reseller-dashboard")
    try:
        tenant_suspend(
            tenant=tenant,
            reason=form.cleaned_data["reason"],
            actor=request.user.get_username(),
            reseller=reseller,
            ip=client_ip(request),
        )
        messages.success(request, _("%(name)s is suspended. Nothing was deleted.") % {"name": tenant.name})
    except (ServiceError, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
    return redirect("reseller-dashboard")


@require_POST
@reseller_required
def tenant_reactivate_view(request: HttpRequest, reseller: Reseller, tenant_id: int) -> HttpResponse:
    tenant = _owned_tenant(reseller, tenant_id)
    try:
        tenant_reactivate(tenant=tenant, actor=request.user.get_username(), reseller=reseller, ip=client_ip(request))
        messages.success(request, _("%(name)s is active again.") % {"name": tenant.name})
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("reseller-dashboard")


@require_POST
@reseller_required
def burst_decide_view(request: HttpRequest, reseller: Reseller, burst_id: int, decision: str) -> HttpResponse:
    try:
        burst = burst_get_for_reseller(reseller, burst_id)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    try:
        burst_request_decide(
            burst=burst,
            approve=decision == "approve",
            actor=request.user.get_username(),
            reseller=reseller,
            note=request.POST.get("note", "")[:300],
        )
        messages.success(request, _("Decision recorded."))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("reseller-dashboard")


@require_POST
@reseller_required
def token_create_view(request: HttpRequest, reseller: Reseller) -> HttpResponse:
    token, raw = reseller_token_create(
        reseller=reseller, name=request.POST.get("name", "API"), actor=request.user.get_username()
    )
    return render(request, "tenants/reseller/token_created.html", {"token": token, "raw": raw, "reseller": reseller})


@require_POST
@reseller_required
def token_revoke_view(request: HttpRequest, reseller: Reseller, token_id: int) -> HttpResponse:
    token = reseller.tokens.filter(pk=token_id).first()
    if token is None:
        raise Http404(_("No such token."))
    reseller_token_revoke(token=token, actor=request.user.get_username())
    messages.success(request, _("The key is revoked."))
    return redirect("reseller-dashboard")
