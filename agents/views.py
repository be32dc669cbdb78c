"""Signing in and out on a tenant's host, and the signed-in user's home page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from agents.forms import TenantLoginForm
from agents.models import AgentProfile
from callcenter.core.tenancy import require_tenant
from tenants.selectors import seat_limit_for


class TenantLoginView(auth_views.LoginView):
    template_name = "agents/login.html"
    authentication_form = TenantLoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: object) -> dict[str, object]:
        return super().get_context_data(**kwargs) | {"tenant": require_tenant()}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from agents.selectors import seats_in_use

    profile = AgentProfile.objects.filter(user_id=request.user.pk or 0).prefetch_related("skill_levels__skill").first()
    tenant = require_tenant()
    return render(
        request,
        "agents/home.html",
        {
            "tenant": tenant,
            "profile": profile,
            "seats_in_use": seats_in_use(),
            "seat_limit": seat_limit_for(tenant),
        },
    )
