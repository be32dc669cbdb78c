"""The first-run checklist a new tenant's admin sees on the admin home page."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from callcenter.core.tenancy import require_tenant


@dataclass(frozen=True)
class ChecklistItem:
    title: str | Promise
    hint: str | Promise
    url: str
    done: bool


def first_run_checklist() -> list[ChecklistItem]:
    from agents.selectors import agent_count, skill_list
    from tenants.selectors import tenant_registered_origins

    tenant = require_tenant()
    return [
        ChecklistItem(
            _("Add agents"),
            _("Give each agent a login and an agent profile; each signed-in agent holds one seat."),
            reverse("admin:agents_agentprofile_add"),
            agent_count() > 0,
        ),
        ChecklistItem(
            _("Review skill tags"),
            _("Routing matches contacts to agents by skills such as VIP service or after-sales."),
            reverse("admin:agents_skill_changelist"),
            skill_list().exists(),
        ),
        ChecklistItem(
            _("Connect a channel: register your shop's website"),
            _("The web chat widget may only be opened from your own host and the addresses you register."),
            reverse("admin:tenants_tenantorigin_add"),
            bool(tenant_registered_origins(tenant)),
        ),
    ]
