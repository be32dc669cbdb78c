"""A tenant's own admin: its users, agents, skills and seats in use."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from agents.models import AgentProfile, AgentSkill, AgentStatus, NotReadyReason, Pool, SeatLease, Skill, Team
from agents.services.seats import seat_release
from callcenter.admin_sites import tenant_admin_site


class AgentProfileInline(admin.StackedInline):
    """Makes the user an agent; skills with their levels are set on the agent's own page."""

    model = AgentProfile
    can_delete = False
    fields = ["display_name", "employee_no", "team", "region", "is_active"]
    extra = 0


class TenantUserAdmin(UserAdmin):
    inlines = [AgentProfileInline]


tenant_admin_site.register(User, TenantUserAdmin)
tenant_admin_site.register(Group, GroupAdmin)


@admin.register(Skill, site=tenant_admin_site)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "description"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Team, site=tenant_admin_site)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead"]
    search_fields = ["name"]
    autocomplete_fields = ["lead"]


@admin.register(Pool, site=tenant_admin_site)
class PoolAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "description"]
    search_fields = ["code", "name", "name_en"]


@admin.register(NotReadyReason, site=tenant_admin_site)
class NotReadyReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "is_system"]
    readonly_fields = ["is_system"]

    def has_delete_permission(self, request: HttpRequest, obj: NotReadyReason | None = None) -> bool:
        # Routing sets the system reasons (a missed offer) by code: they must stay.
        return not (obj and obj.is_system) and super().has_delete_permission(request, obj)


class AgentSkillInline(admin.TabularInline):
    model = AgentSkill
    extra = 1
    autocomplete_fields = ["skill"]


@admin.register(AgentProfile, site=tenant_admin_site)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "team", "region", "capacity_label", "is_active", "skill_list"]
    list_filter = ["is_active", "team", "pools", "region"]
    search_fields = ["display_name", "employee_no", "user__username"]
    filter_horizontal = ["pools"]
    autocomplete_fields = ["user"]
    inlines = [AgentSkillInline]
    fieldsets = [
        (None, {"fields": ["user", "display_name", "employee_no", "is_active"]}),
        (_("Routing"), {"fields": ["team", "region", "pools"]}),
        (_("Capacity"), {"fields": ["chat_capacity", "voice_capacity", "voice_blocks_chat"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentProfile]:
        return super().get_queryset(request).select_related("user", "team").prefetch_related("skill_levels__skill")

    @admin.display(description=_("skills"))
    def skill_list(self, obj: AgentProfile) -> str:
        return "、".join(f"{level.skill} {level.level}" for level in obj.skill_levels.all())

    @admin.display(description=_("capacity"))
    def capacity_label(self, obj: AgentProfile) -> str:
        return _("%(chats)d chats, %(calls)d calls") % {"chats": obj.chat_capacity, "calls": obj.voice_capacity}


@admin.register(AgentStatus, site=tenant_admin_site)
class AgentStatusAdmin(admin.ModelAdmin):
    """Who is in which state now. States change through the agents' own controls and routing."""

    list_display = ["agent", "state", "reason", "changed_at", "available_since"]
    list_filter = ["state", "reason", "agent__team"]
    search_fields = ["agent__display_name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentStatus]:
        return super().get_queryset(request).select_related("agent", "reason")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
