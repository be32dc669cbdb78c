"""Who may use the staff APIs: the tenant's admins and its agents."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from agents.selectors import is_agent


def is_staff_or_agent(user: Any) -> bool:
    return bool(user and user.is_authenticated and (getattr(user, "is_staff", False) or is_agent(user)))


class IsStaffOrAgent(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        return is_staff_or_agent(request.user)
