"""A tenant's own admin: its users, agents, skills and seats in use."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from agents.models import AgentProfile, SeatLease, Skill
from agents.services.seats import seat_release
from callcenter.admin_sites import tenant_admin_site


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False
    filter_horizontal = ["skills"]
    extra = 0


class TenantUserAdmin(UserAdmin):
    inlines = [AgentProfileInline]


tenant_admin_site.register(User, TenantUserAdmin)
tenant_admin_site.register(Group, GroupAdmin)


@admin.register(Skill, site=tenant_admin_site)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "description"]
    search_fields = ["code", "name", "name_en"]


@admin.register(AgentProfile, site=tenant_admin_site)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "employee_no", "is_active", "skill_list"]
    list_filter = ["is_active", "skills"]
    search_fields = ["display_name", "employee_no", "user__username"]
    filter_horizontal = ["skills"]
    autocomplete_fields = ["user"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentProfile]:
        return super().get_queryset(request).select_related("user").prefetch_related("skills")

    @admin.display(description=_("skills"))
    def skill_list(self, obj: AgentProfile) -> str:
        return "、".join(str(s) for s in obj.skills.all())


@admin.register(SeatLease, site=tenant_admin_site)
class SeatLeaseAdmin(admin.ModelAdmin):
    list_display = ["user", "acquired_at", "last_seen_at"]
    actions = ["release"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Free the selected seats (signs the agents out of their seat)"))
    def release(self, request: HttpRequest, queryset: QuerySet[SeatLease]) -> None:
        for lease in queryset.select_related("user"):
            seat_release(user=lease.user)
