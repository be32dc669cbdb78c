"""Ticket categories and tickets in the tenant's admin; a ticket's history is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from callcenter.admin_sites import tenant_admin_site
from tickets.models import Category, Ticket, TicketEvent, TicketTag


@admin.register(Category, site=tenant_admin_site)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "parent", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["code", "name", "name_en"]


class TicketTagInline(admin.TabularInline):
    model = TicketTag
    extra = 0
    fields = ["name", "source", "confidence"]


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "actor", "actor_label", "action", "field", "old_value", "new_value")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Ticket, site=tenant_admin_site)
class TicketAdmin(admin.ModelAdmin):
    """Tickets are changed through the workbench and APIs (which keep the history); here they are read."""

    list_display = ["number", "subject", "customer", "category", "priority", "status", "assignee", "updated_at"]
    list_filter = ["status", "priority", "category", "team"]
    search_fields = ["=number", "subject", "order_ref", "customer__display_name"]
    inlines = [TicketTagInline, TicketEventInline]
    readonly_fields = ["number", "created_at", "updated_at", "resolved_at", "closed_at"]
    raw_id_fields = ["customer", "merged_into"]
    filter_horizontal = ["conversations"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)
