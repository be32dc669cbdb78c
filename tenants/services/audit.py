"""Recording who did what. Every state change of a tenant, reseller or burst goes through here."""

from __future__ import annotations

from typing import Any

import structlog

from tenants.models import AuditEvent, Reseller, Tenant

log = structlog.get_logger("callcenter.audit")


def audit_record(
    *,
    actor: str,
    action: str,
    tenant: Tenant | None = None,
    reseller: Reseller | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        actor=actor[:254], action=action, tenant=tenant, reseller=reseller, detail=detail, ip=ip or None
    )
    log.info("audit", actor=actor, action=action, tenant_id=getattr(tenant, "pk", None), **detail)
    return event
