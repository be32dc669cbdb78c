"""Keeps a signed-in agent's seat while the agent uses the site."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from callcenter.core.tenancy import current_schema, tenant_key

TOUCH_EVERY_S = 60


class SeatHeartbeatMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        tenant = getattr(request, "tenant", None)
        user = getattr(request, "user", None)
        # Only real tenant users hold seats; API principals such as a channel key do not.
        if tenant is not None and current_schema() != "public" and isinstance(user, AbstractBaseUser):
            # At most one write a minute per agent.
            if cache.add(tenant_key(tenant.pk, "seat-touch", user.pk), 1, TOUCH_EVERY_S):
                from agents.services.seats import seat_touch

                seat_touch(user=user)
        return response
