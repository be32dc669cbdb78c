"""Usage snapshots, kept in public so resellers and operators see usage without entering schemas."""

from __future__ import annotations

from callcenter.core.tenancy import require_tenant
from tenants.models import UsageSnapshot
from tenants.selectors import usage_current


def usage_snapshot_take() -> UsageSnapshot:
    tenant = require_tenant()
    usage = usage_current(tenant)
    return UsageSnapshot.objects.create(
        tenant=tenant,
        agents=int(usage["agents"]),  # type: ignore[call-overload]
        seats_in_use=int(usage["seats_in_use"]),  # type: ignore[call-overload]
        conversations=int(usage["conversations"]),  # type: ignore[call-overload]
        storage_bytes=int(usage["storage_bytes"]),  # type: ignore[call-overload]
    )
