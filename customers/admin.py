"""Customer profiles in the tenant admin: search, identities, orders, the merge review queue and undo."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from callcenter.admin_sites import ReadOnlyAdmin, tenant_admin_site
from callcenter.core.errors import ServiceError
from customers.models import (
    ActivityEvent,
    ChannelIdentity,
    Customer,
    CustomerAudit,
    CustomerMerge,
    MembershipTier,
    MergeSuggestion,
    Order,
)
from customers.selectors import customer_search
from customers.services.merge import customer_merge, customer_unmerge, suggestion_dismiss


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IdentityInline(ReadOnlyInline):
    model = ChannelIdentity
    fields = ("kind", "namespace", "external_id", "verified", "created_at")
    readonly_fields = fields


class OrderInline(ReadOnlyInline):
    model = Order
    fields = ("order_no", "status", "amount", "logistics_status", "placed_at")
    readonly_fields = fields


@admin.register(MembershipTier, site=tenant_admin_site)
class MembershipTierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "rank"]


@admin.register(Customer, site=tenant_admin_site)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["display_name", "tier", "phone_list", "tag_list", "merged_into", "updated_at"]
    list_filter = ["tier"]
    search_fields = ["display_name"]
    readonly_fields = ["merged_into", "created_at", "updated_at"]
    inlines = [IdentityInline, OrderInline]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Customer], search_term: str) -> Any:
        if not search_term:
            return queryset, False
        found = customer_search(search_term, limit=500).values("pk")
        return queryset.filter(pk__in=found), False

    @admin.display(description=_("phone numbers"))
    def phone_list(self, obj: Customer) -> str:
        return ", ".join(obj.phones)

    @admin.display(description=_("tags"))
    def tag_list(self, obj: Customer) -> str:
        return "、".join(obj.tags)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # profiles are merged, never deleted


@admin.register(MergeSuggestion, site=tenant_admin_site)
class MergeSuggestionAdmin(admin.ModelAdmin):
    list_display = ["customer", "candidate", "reason", "status", "created_at", "decided_by"]
    list_filter = ["status", "reason"]
    actions = ["merge", "dismiss"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Merge: keep the first customer, fold the possible duplicate into it"))
    def merge(self, request: HttpRequest, queryset: QuerySet[MergeSuggestion]) -> None:
        for suggestion in queryset.filter(status="open").select_related("customer", "candidate"):
            try:
                customer_merge(
                    survivor=suggestion.customer, merged=suggestion.candidate, actor=request.user.get_username()
                )
            except ServiceError as exc:
                self.message_user(request, f"{suggestion}: {exc.message}", messages.WARNING)

    @admin.action(description=_("Dismiss: these are different people"))
    def dismiss(self, request: HttpRequest, queryset: QuerySet[MergeSuggestion]) -> None:
        for suggestion in queryset.filter(status="open"):
            suggestion_dismiss(suggestion=suggestion, actor=request.user.get_username())


@admin.register(CustomerMerge, site=tenant_admin_site)
class CustomerMergeAdmin(ReadOnlyAdmin):
    list_display = ["survivor", "merged", "merged_by", "merged_at", "undone_by", "undone_at"]
    exclude = ["moved"]
    actions = ["undo"]

    @admin.action(description=_("Undo the selected merges"))
    def undo(self, request: HttpRequest, queryset: QuerySet[CustomerMerge]) -> None:
        for record in queryset.order_by("-merged_at"):
            try:
                customer_unmerge(merge=record, actor=request.user.get_username())
            except ServiceError as exc:
                self.message_user(request, f"{record}: {exc.message}", messages.WARNING)


@admin.register(CustomerAudit, site=tenant_admin_site)
class CustomerAuditAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "customer"]
    list_filter = ["action"]


@admin.register(ActivityEvent, site=tenant_admin_site)
class ActivityEventAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "occurred_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
