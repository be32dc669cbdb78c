"""Tenant login forms: lockout first, then a seat for agents."""

from __future__ import annotations

from typing import Any

from django import forms

from agents.services.seats import SeatLimitReached, seat_acquire
from callcenter.core.auth import LockoutAdminAuthenticationForm, LockoutAuthenticationForm


class SeatMixin:
    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)  # type: ignore[misc]
        try:
            seat_acquire(user=user)
        except SeatLimitReached as exc:
            raise forms.ValidationError(exc.message, code="seat_limit_reached") from exc


class TenantLoginForm(SeatMixin, LockoutAuthenticationForm):
    pass


class TenantAdminLoginForm(SeatMixin, LockoutAdminAuthenticationForm):
    pass
