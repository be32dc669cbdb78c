"""The task base classes and the per-tenant dispatcher that beat calls."""

from __future__ import annotations

from typing import Any

import structlog
from celery import shared_task
from django_tenants.utils import get_public_schema_name, tenant_context
from tenant_schemas_celery.task import TenantTask

from callcenter.core.tenancy import NoTenantError, current_schema

log = structlog.get_logger(__name__)


class TenantOnlyTask(TenantTask):
    """A task that works on one tenant's data and refuses to run without a tenant."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if current_schema() == get_public_schema_name():
            log.error("task.refused_no_tenant", task=self.name)
            raise NoTenantError(f"{self.name} is a tenant task and was sent without a tenant.")
        return super().__call__(*args, **kwargs)


@shared_task(name="callcenter.core.tasks.dispatch_to_tenants", ignore_result=True)
def dispatch_to_tenants(task_name: str, kwargs: dict[str, Any] | None = None) -> int:
    """Send ``task_name`` once into every active tenant's schema. Returns how many were sent."""
    from callcenter.celery import app
    from tenants.selectors import tenant_list_active

    sent = 0
    for tenant in tenant_list_active():
        with tenant_context(tenant):
            app.send_task(task_name, kwargs=kwargs or {})
        sent += 1
    log.info("task.dispatched", task_name=task_name, tenants=sent)
    return sent
