"""Ticket categories and tickets in the tenant's admin; a ticket's history is read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from callcenter.admin_sites import tenant_admin_site
from tickets.models import (
    BusinessCalendar,
    Category,
    NotificationTemplate,
    SlaPolicy,
    SlaTarget,
    Ticket,
    TicketComment,
    TicketEvent,
    TicketTag,
)
from tickets.services.sla import calendar_problem


@admin.register(Category, site=tenant_admin_site)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "parent", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["code", "name", "name_en"]


class BusinessCalendarForm(forms.ModelForm):
    class Meta:
        model = BusinessCalendar
        fields = ["code", "name", "name_en", "timezone", "week", "holidays", "make_up_days"]
        help_texts = {
            "week": _(
                'Seven lists, Monday first, of ["start", "end"] times: [["09:00", "12:00"], ["13:30", "18:00"]] '
                'is a working day with a lunch break, [] a day off, "24:00" the end of the day.'
            ),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        problem = calendar_problem(data.get("week"), data.get("timezone"))
        if problem:
            self.add_error("week", problem)
        return data


@admin.register(BusinessCalendar, site=tenant_admin_site)
class BusinessCalendarAdmin(admin.ModelAdmin):
    form = BusinessCalendarForm
    list_display = ["name", "name_en", "code", "timezone"]


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    fields = ["priority", "first_response_minutes", "resolution_minutes"]


@admin.register(SlaPolicy, site=tenant_admin_site)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "name_en", "code", "calendar", "position", "is_active"]
    list_editable = ["position", "is_active"]
    filter_horizontal = ["tiers"]
    inlines = [SlaTargetInline]


class TicketCommentInline(admin.TabularInline):
    model = TicketComment
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "visibility", "author", "author_customer", "author_label", "body")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
    inlines = [TicketTagInline, TicketCommentInline, TicketEventInline]
    readonly_fields = [
        "number",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
        "first_responded_at",
        "first_response_due",
        "resolution_due",
        "sla_breached",
        "escalated_at",
    ]
    raw_id_fields = ["customer", "merged_into"]
    filter_horizontal = ["conversations"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)


@admin.register(NotificationTemplate, site=tenant_admin_site)
class NotificationTemplateAdmin(admin.ModelAdmin):
    """Plain text with {number}, {subject}, {status}, {reply} and {link}; one per event and language."""

    list_display = ["event", "language", "subject"]
    list_filter = ["event", "language"]
