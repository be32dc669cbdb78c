"""Public-schema tasks: provisioning, burst expiry, usage snapshots."""

from __future__ import annotations

from celery import shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="tenants.tasks.provision_signup", acks_late=True, max_retries=0)
def provision_signup(signup_id: str) -> str:
    from tenants.services.provisioning import signup_provision

    return signup_provision(signup_id=signup_id).status


@shared_task(name="tenants.tasks.expire_burst_seats")
def expire_burst_seats() -> int:
    from tenants.services.bursts import burst_expire_due

    return burst_expire_due()


@shared_task(name="tenants.tasks.record_tenant_usage", base=TenantOnlyTask)
def record_tenant_usage() -> int:
    from tenants.services.usage import usage_snapshot_take

    return usage_snapshot_take().pk
