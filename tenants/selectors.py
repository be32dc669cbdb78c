"""Reads of the public schema, with the visibility rules of whoever asks."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from callcenter.core.errors import NotFoundError
from tenants.models import (
    BurstSeatRequest,
    BurstStatus,
    Domain,
    Plan,
    Reseller,
    Signup,
    Tenant,
    TenantStatus,
    UsageSnapshot,
)


def plan_list_public() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True)


def tenant_list_active() -> QuerySet[Tenant]:
    return Tenant.objects.filter(status=TenantStatus.ACTIVE).exclude(schema_name="public")


def tenant_get_by_host(hostname: str) -> Tenant | None:
    domain = Domain.objects.select_related("tenant", "tenant__plan").filter(domain=hostname).first()
    return domain.tenant if domain else None


def tenant_registered_origins(tenant: Tenant) -> set[str]:
    return {o.origin.rstrip("/").lower() for o in tenant.origins.all()}


def tenant_list_for_reseller(reseller: Reseller) -> QuerySet[Tenant]:
    return Tenant.objects.filter(reseller=reseller).select_related("plan").prefetch_related("domains")


def usage_latest_by_tenant(tenant_ids: list[int]) -> dict[int, UsageSnapshot]:
    """The newest usage snapshot of each tenant, in one query."""
    latest = (
        UsageSnapshot.objects.filter(tenant_id__in=tenant_ids).order_by("tenant_id", "-taken_at").distinct("tenant_id")
    )
    return {snapshot.tenant_id: snapshot for snapshot in latest}


def tenant_get_for_reseller(reseller: Reseller, tenant_id: int) -> Tenant:
    """A reseller's own tenant, or NotFoundError: another reseller's tenant does not exist for it."""
    tenant = tenant_list_for_reseller(reseller).filter(pk=tenant_id).first()
    if tenant is None:
        raise NotFoundError(gettext("No such tenant."))
    return tenant


def tenant_primary_url(tenant: Tenant) -> str:
    from django.conf import settings

    domain = tenant.domains.filter(is_primary=True).first()
    host = domain.domain if domain else f"{tenant.subdomain}.{settings.BASE_DOMAIN}"
    port = "" if settings.PUBLIC_PORT in (80, 443) else f":{settings.PUBLIC_PORT}"
    return f"{settings.PUBLIC_SCHEME}://{host}{port}/"


def signup_get(signup_id: str) -> Signup:
    signup = Signup.objects.select_related("tenant", "plan").filter(pk=signup_id).first()
    if signup is None:
        raise NotFoundError(gettext("No such signup."))
    return signup


def burst_in_force(tenant: Tenant, at: datetime | None = None) -> BurstSeatRequest | None:
    now = at or timezone.now()
    return (
        BurstSeatRequest.objects.filter(tenant=tenant, status=BurstStatus.APPROVED, starts_at__lte=now, ends_at__gt=now)
        .order_by("-seats")
        .first()
    )


def seat_limit_for(tenant: Tenant, at: datetime | None = None) -> int:
    """The plan's seats, or an approved burst's when one is in force and larger."""
    burst = burst_in_force(tenant, at)
    return max(tenant.plan.max_agents, burst.seats if burst else 0)


def burst_list_for_tenant(tenant: Tenant) -> QuerySet[BurstSeatRequest]:
    return BurstSeatRequest.objects.filter(tenant=tenant)


def burst_list_pending_for_reseller(reseller: Reseller) -> QuerySet[BurstSeatRequest]:
    return BurstSeatRequest.objects.filter(tenant__reseller=reseller, status=BurstStatus.PENDING).select_related(
        "tenant"
    )


def burst_get_for_reseller(reseller: Reseller, request_id: int) -> BurstSeatRequest:
    burst = BurstSeatRequest.objects.filter(pk=request_id, tenant__reseller=reseller).select_related("tenant").first()
    if burst is None:
        raise NotFoundError(gettext("No such burst request."))
    return burst


def schema_storage_bytes(schema_name: str) -> int:
    """Bytes the tenant's tables and indexes take on disk."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind IN ('r', 'm')",
            [schema_name],
        )
        return int(cursor.fetchone()[0])


def usage_current(tenant: Tenant) -> dict[str, object]:
    """The tenant's usage against its plan. Call inside the tenant's schema."""
    from agents.selectors import agent_count, seats_in_use
    from conversations.selectors import conversation_count

    burst = burst_in_force(tenant)
    storage = schema_storage_bytes(tenant.schema_name)
    quota = tenant.plan.storage_quota_gb * 1024**3
    return {
        "plan": tenant.plan,
        "agents": agent_count(),
        "seats_in_use": seats_in_use(),
        "seat_limit": seat_limit_for(tenant),
        "plan_seats": tenant.plan.max_agents,
        "burst": burst,
        "conversations": conversation_count(),
        "storage_bytes": storage,
        "storage_quota_bytes": quota,
        "storage_percent": round(100 * storage / quota, 2) if quota else 0,
    }
