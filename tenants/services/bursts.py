"""Burst seats: a tenant asks for more seats for a while; its reseller or the platform decides."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError, PermissionDeniedError
from tenants import events
from tenants.models import BurstSeatRequest, BurstStatus, Reseller, Tenant
from tenants.services.audit import audit_record

MAX_BURST_DAYS = 62
MAX_BURST_FACTOR = 10  # a burst may multiply the plan's seats by at most this


def burst_validate(*, tenant: Tenant, seats: int, starts_at: datetime, ends_at: datetime) -> None:
    """Raise ValidationError with per-field messages unless the request could be approved."""
    errors: dict[str, list[str]] = {}
    base = tenant.plan.max_agents
    if seats <= base:
        errors["seats"] = [_("Ask for more seats than your plan's %(base)d.") % {"base": base}]
    elif seats > base * MAX_BURST_FACTOR:
        errors["seats"] = [_("At most %(max)d seats can be requested.") % {"max": base * MAX_BURST_FACTOR}]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("The end must be after the start.")]
    elif ends_at <= timezone.now():
        errors["ends_at"] = [_("The end must be in the future.")]
    elif ends_at - starts_at > timedelta(days=MAX_BURST_DAYS):
        errors["ends_at"] = [_("A burst lasts at most %(days)d days.") % {"days": MAX_BURST_DAYS}]
    if errors:
        raise ValidationError(errors)


def burst_request_create(
    *, tenant: Tenant, seats: int, starts_at: datetime, ends_at: datetime, reason: str, actor: str
) -> BurstSeatRequest:
    burst_validate(tenant=tenant, seats=seats, starts_at=starts_at, ends_at=ends_at)
    with transaction.atomic():
        burst = BurstSeatRequest.objects.create(
            tenant=tenant,
            seats=seats,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason[:300],
            requested_by=actor,
        )
        audit_record(
            actor=actor,
            action="burst.requested",
            tenant=tenant,
            burst=burst.pk,
            seats=seats,
            starts_at=starts_at.isoformat(),
            ends_at=ends_at.isoformat(),
        )
    return burst


def _may_decide(burst: BurstSeatRequest, *, reseller: Reseller | None, platform_operator: bool) -> bool:
    if platform_operator:
        return True
    return reseller is not None and burst.tenant.reseller_id == reseller.pk


def burst_request_decide(
    *,
    burst: BurstSeatRequest,
    approve: bool,
    actor: str,
    reseller: Reseller | None = None,
    platform_operator: bool = False,
    note: str = "",
) -> BurstSeatRequest:
    """Approve or reject. A tenant's reseller decides for it; the platform decides for direct tenants."""
    if not _may_decide(burst, reseller=reseller, platform_operator=platform_operator):
        raise PermissionDeniedError(_("Only this tenant's reseller or the platform can decide."))
    with transaction.atomic():
        locked = BurstSeatRequest.objects.select_for_update().select_related("tenant").get(pk=burst.pk)
        if locked.status != BurstStatus.PENDING:
            raise ConflictError(_("This request has already been decided."), code="already_decided")
        if approve and locked.ends_at <= timezone.now():
            raise ConflictError(_("This request's period is already over."), code="period_over")
        locked.status = BurstStatus.APPROVED if approve else BurstStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = actor, timezone.now(), note[:300]
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=actor,
            action="burst.approved" if approve else "burst.rejected",
            tenant=locked.tenant,
            reseller=reseller,
            burst=locked.pk,
            seats=locked.seats,
        )
        if approve:
            events.seat_limit_changed(locked.tenant)
    return locked


def burst_expire_due(now: datetime | None = None) -> int:
    """Mark approved bursts whose period is over as expired. Safe to run at any time, any number of times."""
    moment = now or timezone.now()
    expired = 0
    with transaction.atomic():
        for burst in (
            BurstSeatRequest.objects.select_for_update(skip_locked=True)
            .select_related("tenant")
            .filter(status=BurstStatus.APPROVED, ends_at__lte=moment)
        ):
            burst.status = BurstStatus.EXPIRED
            burst.save(update_fields=["status"])
            audit_record(actor="system", action="burst.expired", tenant=burst.tenant, burst=burst.pk)
            events.seat_limit_changed(burst.tenant)
            expired += 1
        # A request nobody decided before its end is moot.
        BurstSeatRequest.objects.filter(status=BurstStatus.PENDING, ends_at__lte=moment).update(
            status=BurstStatus.EXPIRED
        )
    return expired
