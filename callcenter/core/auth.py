"""Login forms with lockout, and binding a session to the tenant that issued it."""

from __future__ import annotations

from typing import Any

import structlog
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from callcenter.core.middleware import SESSION_TENANT_KEY
from callcenter.core.tenancy import current_schema
from callcenter.core.throttle import LoginThrottle, client_ip

log = structlog.get_logger(__name__)


class LockoutMixin:
    """Refuses a login while the account or address is locked out, and counts failures."""

    throttle_scope = "login"
    request: Any
    cleaned_data: dict[str, Any]

    def _throttle(self) -> LoginThrottle:
        return LoginThrottle(f"{current_schema()}:{self.throttle_scope}")

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")
        ip = client_ip(self.request)
        throttle = self._throttle()
        wait = throttle.locked_for(username, ip)
        if wait:
            log.warning("auth.login_refused_locked", scope=throttle.scope, ip=ip)
            minutes = max(1, (wait + 59) // 60)
            raise forms.ValidationError(
                ngettext(
                    "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
                    "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
                    minutes,
                )
                % {"minutes": minutes},
                code="locked_out",
            )
        try:
            cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login" and throttle.record_failure(username, ip):
                log.warning("auth.lockout", scope=throttle.scope, ip=ip)
            raise
        throttle.record_success(username, ip)
        return cleaned


class LockoutAuthenticationForm(LockoutMixin, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter a correct username and password. Both fields may be case-sensitive."),
    }


class LockoutAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    throttle_scope = "admin"


def bind_session_to_tenant(sender: object, request: Any, user: Any, **kwargs: Any) -> None:
    """user_logged_in bridge: remember which schema issued this session."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_TENANT_KEY] = current_schema()
