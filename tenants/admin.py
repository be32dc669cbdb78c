"""Platform admin (public domain) and the tenant-scoped views of public data in each tenant's admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from callcenter.admin_sites import ReadOnlyAdmin, platform_admin_site, tenant_admin_site
from callcenter.core.errors import ServiceError
from callcenter.core.tenancy import require_tenant
from tenants.models import (
    AuditEvent,
    BurstSeatRequest,
    Domain,
    Plan,
    Reseller,
    ResellerToken,
    Signup,
    Tenant,
    TenantOrigin,
    UsageSnapshot,
)
from tenants.services.bursts import burst_request_create, burst_request_decide, burst_validate
from tenants.services.resellers import tenant_reactivate, tenant_suspend

platform_admin_site.register(User, UserAdmin)
platform_admin_site.register(Group, GroupAdmin)


@admin.register(Plan, site=platform_admin_site)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_zh", "max_agents", "storage_quota_gb", "monthly_price_cny", "is_public"]


class ResellerTokenInline(admin.TabularInline):
    model = ResellerToken
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are made in the reseller console, where the key is shown once


@admin.register(Reseller, site=platform_admin_site)
class ResellerAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "is_active", "created_at"]
    filter_horizontal = ["users"]
    inlines = [ResellerTokenInline]


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


class TenantOriginInline(admin.TabularInline):
    model = TenantOrigin
    extra = 0


@admin.register(Tenant, site=platform_admin_site)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "subdomain", "plan", "reseller", "status", "created_at"]
    list_filter = ["status", "plan", "reseller"]
    search_fields = ["name", "subdomain", "admin_email"]
    readonly_fields = ["schema_name", "subdomain", "status", "suspended_reason", "created_at"]
    inlines = [DomainInline, TenantOriginInline]
    actions = ["suspend", "reactivate"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tenants are made through signup, which provisions their schema

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # suspension keeps everything; deleting a schema is not a click away

    @admin.action(description=_("Suspend selected tenants"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            try:
                tenant_suspend(
                    tenant=tenant,
                    reason=str(_("Suspended by the platform operator.")),
                    actor=request.user.get_username(),
                )
            except ServiceError as exc:
                self.message_user(request, f"{tenant}: {exc.message}", messages.WARNING)

    @admin.action(description=_("Reactivate selected tenants"))
    def reactivate(self, request: HttpRequest, queryset: QuerySet[Tenant]) -> None:
        for tenant in queryset:
            try:
                tenant_reactivate(tenant=tenant, actor=request.user.get_username())
            except ServiceError as exc:
                self.message_user(request, f"{tenant}: {exc.message}", messages.WARNING)


@admin.register(Domain, site=platform_admin_site)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "tenant", "is_primary"]
    search_fields = ["domain"]


@admin.register(Signup, site=platform_admin_site)
class SignupAdmin(admin.ModelAdmin):
    list_display = ["company_name", "subdomain", "plan", "reseller", "status", "created_at"]
    list_filter = ["status"]
    exclude = ["admin_password_hash"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Signup._meta.fields if f.name != "admin_password_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(BurstSeatRequest, site=platform_admin_site)
class PlatformBurstAdmin(admin.ModelAdmin):
    list_display = ["tenant", "seats", "starts_at", "ends_at", "status", "requested_by", "decided_by"]
    list_filter = ["status"]
    actions = ["approve", "reject"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in BurstSeatRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet[BurstSeatRequest], approve: bool) -> None:
        for burst in queryset:
            try:
                burst_request_decide(
                    burst=burst, approve=approve, actor=request.user.get_username(), platform_operator=True
                )
            except ServiceError as exc:
                self.message_user(request, f"{burst}: {exc.message}", messages.WARNING)

    @admin.action(description=_("Approve selected requests"))
    def approve(self, request: HttpRequest, queryset: QuerySet[BurstSeatRequest]) -> None:
        self._decide(request, queryset, True)

    @admin.action(description=_("Reject selected requests"))
    def reject(self, request: HttpRequest, queryset: QuerySet[BurstSeatRequest]) -> None:
        self._decide(request, queryset, False)


@admin.register(AuditEvent, site=platform_admin_site)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "tenant", "reseller", "ip"]
    list_filter = ["action"]
    search_fields = ["actor", "action"]


@admin.register(UsageSnapshot, site=platform_admin_site)
class UsageSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["tenant", "taken_at", "agents", "seats_in_use", "conversations", "storage_bytes"]


# --- In each tenant's own admin: its slice of public data, and nothing else ---------------


class TenantScopedAdmin(admin.ModelAdmin):
    """Rows of a public table that belong to the tenant whose host serves the request."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(tenant=require_tenant())


@admin.register(BurstSeatRequest, site=tenant_admin_site)
class TenantBurstAdmin(TenantScopedAdmin):
    list_display = ["seats", "starts_at", "ends_at", "status", "requested_by", "decided_by", "decision_note"]
    fields = ["seats", "starts_at", "ends_at", "reason"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return list(self.fields or []) if obj is not None else []  # type: ignore[arg-type]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: BurstSeatRequest, form: Any, change: bool) -> None:
        if change:
            return
        created = burst_request_create(
            tenant=require_tenant(),
            seats=obj.seats,
            starts_at=obj.starts_at,
            ends_at=obj.ends_at,
            reason=obj.reason,
            actor=request.user.get_username(),
        )
        obj.pk = created.pk

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)

        class ValidatedForm(form):  # type: ignore[valid-type,misc]
            def clean(self) -> dict[str, Any]:
                data: dict[str, Any] = super().clean()
                if obj is None and {"seats", "starts_at", "ends_at"} <= data.keys():
                    self.instance.tenant = require_tenant()
                    burst_validate(
                        tenant=require_tenant(),
                        seats=data["seats"],
                        starts_at=data["starts_at"],
                        ends_at=data["ends_at"],
                    )
                return data

        return ValidatedForm


@admin.register(TenantOrigin, site=tenant_admin_site)
class TenantOriginAdmin(TenantScopedAdmin):
    list_display = ["origin"]
    fields = ["origin"]

    def save_model(self, request: HttpRequest, obj: TenantOrigin, form: Any, change: bool) -> None:
        obj.tenant = require_tenant()
        super().save_model(request, obj, form, change)
