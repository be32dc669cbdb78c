"""What a reseller does to its tenants, and its API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.core.errors import ConflictError
from tenants import events
from tenants.models import Reseller, ResellerToken, Tenant, TenantStatus
from tenants.services.audit import audit_record

TOKEN_PREFIX = "rsk_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def reseller_token_create(*, reseller: Reseller, name: str, actor: str) -> tuple[ResellerToken, str]:
    """A new API key. The raw key is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ResellerToken.objects.create(
            reseller=reseller, name=(name or "API")[:80], prefix=raw[:12], key_hash=hash_token(raw)
        )
        audit_record(actor=actor, action="reseller.token_created", reseller=reseller, token=token.pk)
    return token, raw


def reseller_token_revoke(*, token: ResellerToken, actor: str) -> None:
    with transaction.atomic():
        ResellerToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit_record(actor=actor, action="reseller.token_revoked", reseller=token.reseller, token=token.pk)


def reseller_token_authenticate(raw: str) -> ResellerToken | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ResellerToken.objects.select_related("reseller")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, reseller__is_active=True)
        .first()
    )
    if token is not None and (token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 60):
        ResellerToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def tenant_suspend(
    *, tenant: Tenant, reason: str, actor: str, reseller: Reseller | None = None, ip: str | None = None
) -> Tenant:
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        from django.core.exceptions import ValidationError

        raise ValidationError({"reason": [_("Say why the tenant is suspended; its users will see it.")]})
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.status != TenantStatus.ACTIVE:
            raise ConflictError(_("Only an active tenant can be suspended."), code="not_active")
        locked.status, locked.suspended_reason = TenantStatus.SUSPENDED, reason
        locked.save(update_fields=["status", "suspended_reason"])
        audit_record(actor=actor, action="tenant.suspended", tenant=locked, reseller=reseller, ip=ip, reason=reason)
        events.tenant_suspended(locked, reason)
    return locked


def tenant_reactivate(*, tenant: Tenant, actor: str, reseller: Reseller | None = None, ip: str | None = None) -> Tenant:
    with transaction.atomic():
        locked = Tenant.objects.select_for_update().get(pk=tenant.pk)
        if locked.status != TenantStatus.SUSPENDED:
            raise ConflictError(_("Only a suspended tenant can be reactivated."), code="not_suspended")
        locked.status, locked.suspended_reason = TenantStatus.ACTIVE, ""
        locked.save(update_fields=["status", "suspended_reason"])
        audit_record(actor=actor, action="tenant.reactivated", tenant=locked, reseller=reseller, ip=ip)
    return locked
