"""HTML forms of the public site and the reseller console. Rules live in the services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from callcenter.core.auth import LockoutAuthenticationForm
from tenants.models import Plan


class SignupForm(forms.Form):
    company_name = forms.CharField(label=_("Company name"), max_length=120)
    subdomain = forms.CharField(
        label=_("Subdomain"), max_length=30, help_text=_("3–30 characters: lowercase letters, digits, hyphens.")
    )
    admin_email = forms.EmailField(label=_("Admin e-mail"))
    admin_password = forms.CharField(label=_("Admin password"), widget=forms.PasswordInput, strip=False)
    plan = forms.ModelChoiceField(
        label=_("Plan"), queryset=Plan.objects.filter(is_public=True), to_field_name="code", empty_label=None
    )


class ResellerTenantForm(SignupForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["plan"].queryset = Plan.objects.all()  # type: ignore[attr-defined]


class SuspendForm(forms.Form):
    reason = forms.CharField(label=_("Reason shown to the tenant's users"), max_length=300)


class ResellerLoginForm(LockoutAuthenticationForm):
    throttle_scope = "reseller"
