"""Real-time events about a tenant's account, and exactly who receives them (docs/realtime-events.md)."""

from __future__ import annotations

from callcenter.core.realtime import publish_on_commit
from callcenter.core.tenancy import group_name
from tenants.models import Tenant


def staff_group(tenant: Tenant) -> str:
    """Every signed-in user of the tenant with the staff socket open."""
    return group_name(tenant.pk, "staff")


def seat_limit_changed(tenant: Tenant) -> None:
    from tenants.selectors import seat_limit_for

    publish_on_commit(staff_group(tenant), "seats.limit_changed", {"limit": seat_limit_for(tenant)})


def tenant_suspended(tenant: Tenant, reason: str) -> None:
    """Open sockets close when they hear this."""
    publish_on_commit(staff_group(tenant), "tenant.suspended", {"reason": reason})
