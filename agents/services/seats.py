"""Seats: how many agents may be signed in at once. One seat per agent, whatever its devices."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents import events
from agents.models import SeatLease
from agents.selectors import is_agent, live_leases, seats_in_use
from callcenter.core.errors import ConflictError
from callcenter.core.tenancy import current_schema, require_tenant


class SeatLimitReached(ConflictError):
    code = "seat_limit_reached"


def _lock_seats() -> None:
    # One tenant's seat count changes one login at a time; other tenants are not held up.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"seats:{current_schema()}"])


def seat_acquire(*, user: Any) -> SeatLease | None:
    """Take a seat for an agent signing in. Non-agents take none. Raises SeatLimitReached."""
    from tenants.selectors import seat_limit_for

    if not is_agent(user):
        return None
    tenant = require_tenant()
    now = timezone.now()
    with transaction.atomic():
        _lock_seats()
        held = live_leases().filter(user=user).exists()
        limit = seat_limit_for(tenant)
        if not held and live_leases().count() >= limit:
            raise SeatLimitReached(
                _("All %(limit)d agent seats of this call center are in use. Ask an admin to free one or add seats.")
                % {"limit": limit}
            )
        lease, _created = SeatLease.objects.update_or_create(user=user, defaults={"last_seen_at": now})
        _announce(tenant.pk)
    return lease


def seat_touch(*, user: Any) -> None:
    """Keep an agent's seat while the agent is active."""
    SeatLease.objects.filter(user=user).update(last_seen_at=timezone.now())


def seat_release(*, user: Any) -> None:
    tenant = require_tenant()
    with transaction.atomic():
        if SeatLease.objects.filter(user=user).delete()[0]:
            _announce(tenant.pk)


def seats_release_idle() -> int:
    """Free the seats of agents gone idle; returns how many."""
    tenant = require_tenant()
    cutoff = timezone.now() - timedelta(seconds=settings.SEAT_IDLE_TIMEOUT_S)
    with transaction.atomic():
        freed = SeatLease.objects.filter(last_seen_at__lte=cutoff).delete()[0]
        if freed:
            _announce(tenant.pk)
    return int(freed)


def release_on_logout(sender: object, request: Any, user: Any, **kwargs: Any) -> None:
    """user_logged_out bridge."""
    if user is not None and getattr(user, "pk", None) and current_schema() != "public":
        seat_release(user=user)


def _announce(tenant_id: int) -> None:
    events.seats_changed(tenant_id, seats_in_use())
