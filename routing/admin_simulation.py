"""The admin's dry run: the busiest hour replayed with the live rules and with the selected ones,
side by side, before the selected (draft) rules are switched on."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from routing.domain.simulator import QueueReport, Report
from routing.models import RoutingRule
from routing.services.simulation import SimulationInput, live_rules, simulate_rules


class SimulationForm(forms.Form):
    days = forms.IntegerField(label=_("history to use (days)"), min_value=1, max_value=90, initial=7)
    volume = forms.FloatField(
        label=_("contacts × "), min_value=0.1, max_value=20, initial=1.0, help_text=_("3 for a promotion day.")
    )
    per_hour = forms.IntegerField(
        label=_("contacts per hour without history"), min_value=1, max_value=100_000, initial=600
    )
    agents = forms.FloatField(label=_("agents × "), min_value=0.1, max_value=20, initial=1.0)
    patience = forms.IntegerField(
        label=_("customers' patience (s)"),
        min_value=10,
        max_value=3600,
        initial=180,
        help_text=_("Mean time before a waiting customer gives up."),
    )


def _row(live: QueueReport, draft: QueueReport) -> dict[str, Any]:
    return {"name": live.name, "live": live, "draft": draft, "both": (live, draft)}


def _rows(live: Report, draft: Report) -> list[dict[str, Any]]:
    drafts = {q.name: q for q in draft.queues}
    return [_row(q, drafts[q.name]) for q in live.queues if q.name in drafts] + [_row(live.total, draft.total)]


@admin.action(description=_("Dry run: replay the busiest hour with the selected rules"))
def simulate_selected_rules(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[RoutingRule]
) -> TemplateResponse:
    selected = list(queryset.prefetch_related("tiers").order_by("position", "pk"))
    form = SimulationForm(request.POST if "run" in request.POST else None)
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": _("Dry run of routing rules"),
        "opts": model_admin.model._meta,
        "selected": selected,
        "live": live_rules(),
        "form": form,
    }
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        options = SimulationInput(
            history_days=data["days"],
            volume_scale=data["volume"],
            contacts_per_hour=data["per_hour"],
            agent_scale=data["agents"],
            patience_s=float(data["patience"]),
        )
        live_report, seen = simulate_rules(context["live"], options)
        draft_report, _seen = simulate_rules(selected, options)
        context |= {
            "rows": _rows(live_report, draft_report),
            "seen": seen,
            "live_report": live_report,
            "draft_report": draft_report,
        }
    return TemplateResponse(request, "admin/routing/simulate.html", context)
