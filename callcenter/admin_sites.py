"""Two admin sites: the platform's on the public domain, each tenant's on its own host."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from callcenter.core.auth import LockoutAdminAuthenticationForm
from callcenter.core.tenancy import require_tenant


class PlatformAdminSite(admin.AdminSite):
    site_header = _("Call center platform")
    site_title = _("Platform admin")
    index_title = _("Plans, resellers and tenants")
    login_form = LockoutAdminAuthenticationForm


class TenantAdminSite(admin.AdminSite):
    site_header = _("Call center admin")
    site_title = _("Call center admin")
    index_template = "admin/tenant_index.html"

    def get_login_form(self) -> Any:
        from agents.forms import TenantAdminLoginForm

        return TenantAdminLoginForm

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        self.login_form = self.get_login_form()
        return super().login(request, extra_context)

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        from tenants.checklist import first_run_checklist
        from tenants.selectors import usage_current

        tenant = require_tenant()
        context = {
            "usage": usage_current(tenant),
            "checklist": first_run_checklist(),
            "tenant": tenant,
            **(extra_context or {}),
        }
        return super().index(request, context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept as they happened (audit trails, inboxes): listed and viewed, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


platform_admin_site = PlatformAdminSite(name="platform_admin")
tenant_admin_site = TenantAdminSite(name="admin")
