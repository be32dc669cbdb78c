from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from callcenter.admin_sites import tenant_admin_site
from workbench.models import CannedResponse, WrapUpCode
from workbench.services.canned import body_problem, shortcut_problem


class CannedResponseForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = ["scope", "team", "owner", "shortcut", "title", "body", "is_active"]

    def clean_shortcut(self) -> str:
        shortcut = str(self.cleaned_data["shortcut"]).strip().lstrip("/")
        if problem := shortcut_problem(shortcut):
            raise ValidationError(problem)
        return shortcut

    def clean_body(self) -> str:
        body = str(self.cleaned_data["body"]).strip()
        if problem := body_problem(body):
            raise ValidationError(problem)
        return body

    def clean(self) -> dict:
        data = super().clean() or {}
        scope, team, owner = data.get("scope"), data.get("team"), data.get("owner")
        if scope == "tenant" and (team or owner):
            raise ValidationError(_("A canned response for everyone has no team and no owner."))
        if scope == "team" and (not team or owner):
            raise ValidationError(_("A team's canned response names its team and no owner."))
        if scope == "personal" and (not owner or team):
            raise ValidationError(_("A personal canned response names its owner and no team."))
        return data


@admin.register(CannedResponse, site=tenant_admin_site)
class CannedResponseAdmin(admin.ModelAdmin):
    form = CannedResponseForm
    list_display = ["shortcut", "title", "scope", "team", "owner", "is_active", "updated_at"]
    list_filter = ["scope", "team", "is_active"]
    search_fields = ["shortcut", "title", "body"]
    list_select_related = ["team", "owner"]


@admin.register(WrapUpCode, site=tenant_admin_site)
class WrapUpCodeAdmin(admin.ModelAdmin):
    # A code in use cannot be deleted (wrap-ups protect it): switch it off instead.
    list_display = ["name", "name_en", "code", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["code", "name", "name_en"]
