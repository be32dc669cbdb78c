"""Queues, rules and routed contacts in the tenant's admin, with validation and the explanation
of every routing decision."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from agents.models import Skill
from callcenter.admin_sites import tenant_admin_site
from channels_app.models import ChannelKind
from routing.admin_simulation import simulate_selected_rules
from routing.domain.requirements import RequirementError, format_requirements, parse_requirements
from routing.models import HoursMode, Offer, Queue, QueueStep, RoutedContact, RoutingRule

WEEKDAY_CHOICES = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
LANGUAGE_CHOICES = [("zh", _("Chinese")), ("en", _("English"))]


def clean_requirements(text: str) -> str:
    """Readable, known skills at levels 1-5, written back in a normal form."""
    try:
        required = parse_requirements(text)
    except RequirementError as exc:
        raise forms.ValidationError(
            _("Cannot read “%(token)s”: write skill codes with a level from 1 to 5, like vip:2 after-sales:1."),
            params={"token": exc.token},
        ) from exc
    unknown = sorted(set(required) - set(Skill.objects.filter(code__in=list(required)).values_list("code", flat=True)))
    if unknown:
        raise forms.ValidationError(
            _("No skill with the code %(codes)s. Add it under Skills first."), params={"codes": ", ".join(unknown)}
        )
    return format_requirements(required)


class QueueStepForm(forms.ModelForm):
    class Meta:
        model = QueueStep
        fields = ["after_seconds", "skills", "pools"]

    def clean_skills(self) -> str:
        return clean_requirements(self.cleaned_data.get("skills", ""))


class QueueStepFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        times = [
            form.cleaned_data["after_seconds"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        if not times:
            raise forms.ValidationError(_("A queue needs at least one step."))
        if 0 not in times:
            raise forms.ValidationError(_("The first step must start at 0 seconds: contacts are routed from arrival."))


class QueueStepInline(admin.TabularInline):
    model = QueueStep
    form = QueueStepForm
    formset = QueueStepFormSet
    extra = 0
    min_num = 1
    filter_horizontal = ["pools"]


class QueueForm(forms.ModelForm):
    class Meta:
        model = Queue
        exclude: list[str] = []

    def clean_overflow_skills(self) -> str:
        return clean_requirements(self.cleaned_data.get("overflow_skills", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        on, off = data.get("overflow_on_ratio"), data.get("overflow_off_ratio")
        if on is not None and off is not None and off > on:
            self.add_error(
                "overflow_off_ratio",
                _("Must not be above the overflow mark, or the queue would switch back and forth."),
            )
        if data.get("fallback_queue") and self.instance.pk and data["fallback_queue"].pk == self.instance.pk:
            self.add_error("fallback_queue", _("A queue cannot fall back to itself."))
        return data


@admin.register(Queue, site=tenant_admin_site)
class QueueAdmin(admin.ModelAdmin):
    form = QueueForm
    inlines = [QueueStepInline]
    list_display = ["name", "code", "priority", "strategy", "sla_label", "is_default", "overflow_active"]
    search_fields = ["code", "name", "name_en"]
    filter_horizontal = ["overflow_pools"]
    readonly_fields = ["overflow_active", "overflow_changed_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "name_en", "is_default", "priority", "strategy"]}),
        (_("Service level"), {"fields": ["sla_seconds", "sla_percent", "max_wait_seconds", "fallback_queue"]}),
        (_("Offers"), {"fields": ["offer_timeout_seconds", "after_work_seconds"]}),
        (
            _("Overflow"),
            {
                "fields": [
                    "overflow_skills",
                    "overflow_pools",
                    "overflow_on_ratio",
                    "overflow_off_ratio",
                    "overflow_hold_seconds",
                    "overflow_active",
                    "overflow_changed_at",
                ]
            },
        ),
    ]

    @admin.display(description=_("service level"))
    def sla_label(self, obj: Queue) -> str:
        return _("%(pct)d%% in %(s)d s") % {"pct": obj.sla_percent, "s": obj.sla_seconds}


class RoutingRuleForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        label=_("channels"), choices=ChannelKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.MultipleChoiceField(
        label=_("languages"), choices=LANGUAGE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    weekdays = forms.MultipleChoiceField(
        label=_("open on"), choices=WEEKDAY_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = RoutingRule
        exclude: list[str] = []

    def clean_weekdays(self) -> list[int]:
        return sorted(int(day) for day in self.cleaned_data.get("weekdays", []))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("hours_mode", HoursMode.ANY) != HoursMode.ANY:
            if not data.get("hours_start") or not data.get("hours_end"):
                self.add_error("hours_start", _("Give the opening and closing times for a rule on business hours."))
            elif data["hours_start"] == data["hours_end"]:
                self.add_error("hours_end", _("Opening and closing times are the same."))
        for name in ("topics", "keywords"):
            lines = [line for line in (data.get(name) or "").splitlines() if line.strip()]
            if any(len(line) > 60 for line in lines):
                self.add_error(name, _("Keep each line under 60 characters."))
        return data


@admin.register(RoutingRule, site=tenant_admin_site)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    list_display = ["position", "name", "queue", "priority_boost", "is_active"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active", "queue"]
    filter_horizontal = ["tiers"]
    actions = [simulate_selected_rules]
    fieldsets = [
        (None, {"fields": ["position", "name", "is_active"]}),
        (_("When"), {"fields": ["tiers", "topics", "channels", "languages", "keywords"]}),
        (_("Business hours"), {"fields": ["hours_mode", "hours_start", "hours_end", "weekdays"]}),
        (_("Then"), {"fields": ["queue", "priority_boost"]}),
    ]


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    can_delete = False
    fields = readonly_fields = ("agent", "status", "created_at", "decided_at", "why")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("why this agent"))
    def why(self, offer: Offer) -> SafeString:
        return explain_offer(offer.decision)


def explain_offer(decision: dict[str, Any]) -> SafeString:
    """The step applied, the strategy, and the candidates with their scores, best first."""
    if "transfer_to_agent" in decision:
        return format_html("{}", _("Transferred to this agent by name."))
    rows = format_html_join(
        "",
        "<li>{}{} <small>{}</small></li>",
        (
            (c.get("name") or f"#{c['agent']}", " ✓" if c["agent"] == decision.get("chosen") else "", c["score"])
            for c in decision.get("candidates", [])
        ),
    )
    return format_html(
        "{}: {} · {}: {} {}<ol>{}</ol>",
        _("step"),
        decision.get("step", 0) + 1,
        _("selection"),
        decision.get("strategy", ""),
        _("(through overflow)") if decision.get("via_overflow") else "",
        rows,
    )


@admin.register(RoutedContact, site=tenant_admin_site)
class RoutedContactAdmin(admin.ModelAdmin):
    """Read-only: every contact's path through routing, and why."""

    list_display = ["pk", "customer", "channel_kind", "queue", "status", "agent", "arrived_at", "assigned_at"]
    list_filter = ["status", "queue", "channel_kind", "over_max_wait"]
    search_fields = ["customer__display_name", "conversation__id"]
    inlines = [OfferInline]
    fields = readonly_fields = (
        "conversation",
        "customer",
        "channel_kind",
        "queue",
        "status",
        "agent",
        "arrived_at",
        "assigned_at",
        "ended_at",
        "end_reason",
        "rule_explained",
        "facts",
        "transfers",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoutedContact]:
        return super().get_queryset(request).select_related("customer", "queue", "agent", "conversation")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("routing rule"))
    def rule_explained(self, contact: RoutedContact) -> SafeString:
        routing = contact.explanation.get("routing", {})
        tried = format_html_join(
            "",
            "<li>{} — {}</li>",
            (
                (
                    rule.get("name") or f"#{rule['rule']}",
                    ", ".join(f"{name} {'✓' if ok else '✗'}" for name, ok in rule.get("conditions", []))
                    or _("no conditions"),
                )
                for rule in routing.get("tried", [])
            ),
        )
        matched = routing.get("rule")
        head = (
            format_html("{}: {}", _("matched"), matched.get("name", ""))
            if matched
            else format_html("{}", _("no rule matched: the default queue"))
        )
        return format_html("{} · {} {}<ol>{}</ol>", head, _("priority boost"), routing.get("priority_boost", 0), tried)

    @admin.display(description=_("transfers"))
    def transfers(self, contact: RoutedContact) -> SafeString:
        return format_html_join(
            "",
            "<li>{} → {} {}</li>",
            (
                (t.get("at", ""), t.get("to", {}).get("name", ""), t.get("note", ""))
                for t in contact.explanation.get("transfers", [])
            ),
        )
