"""The public site: plans, signup, and the provisioning progress page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from callcenter.core.errors import ConflictError, NotFoundError
from callcenter.core.throttle import client_ip, within_rate
from tenants.forms import SignupForm
from tenants.selectors import plan_list_public, signup_get, tenant_primary_url
from tenants.services.provisioning import signup_progress
from tenants.services.signup import signup_retry, signup_submit


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "tenants/home.html", {"plans": plan_list_public()})


def add_service_errors(form: SignupForm, exc: ValidationError | ConflictError) -> None:
    if isinstance(exc, ConflictError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None, initial={"plan": request.GET.get("plan")})
    if request.method == "POST" and not within_rate(
        "signup-form", client_ip(request), limit=settings.SIGNUP_MAX_PER_IP_PER_HOUR, window_s=3600
    ):
        form.is_valid()  # keep what was typed on the page
        form.add_error(None, _("Too many signups from your network. Please try again in an hour."))
        return render(request, "tenants/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            created = signup_submit(
                company_name=form.cleaned_data["company_name"],
                subdomain=form.cleaned_data["subdomain"],
                admin_email=form.cleaned_data["admin_email"],
                admin_password=form.cleaned_data["admin_password"],
                plan_code=form.cleaned_data["plan"].code,
                language=get_language() or "zh-hans",
                ip=client_ip(request),
            )
        except (ValidationError, ConflictError) as exc:
            add_service_errors(form, exc)
        else:
            return redirect("signup-progress", signup_id=created.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "tenants/signup.html", {"form": form}, status=status)


def _progress_context(signup_id: str) -> dict[str, object]:
    found = signup_get(signup_id)
    percent, step = signup_progress(found)
    return {
        "signup": found,
        "percent": percent,
        "step": step,
        "tenant_url": tenant_primary_url(found.tenant) if found.tenant else None,
        "admin_url": tenant_primary_url(found.tenant) + "admin/" if found.tenant else None,
    }


def signup_progress_page(request: HttpRequest, signup_id: str) -> HttpResponse:
    try:
        context = _progress_context(signup_id)
    except (NotFoundError, ValidationError):
        return render(request, "tenants/signup_missing.html", status=404)
    template = "tenants/_progress.html" if request.headers.get("HX-Request") else "tenants/signup_progress.html"
    return render(request, template, context)


@require_http_methods(["POST"])
def signup_retry_view(request: HttpRequest, signup_id: str) -> HttpResponse:
    try:
        signup_retry(signup=signup_get(signup_id))
    except (NotFoundError, ValidationError):
        return render(request, "tenants/signup_missing.html", status=404)
    except ConflictError as exc:
        context = _progress_context(signup_id) | {"retry_error": exc.message}
        return render(request, "tenants/signup_progress.html", context, status=409)
    return redirect("signup-progress", signup_id=signup_id)
