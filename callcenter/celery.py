"""The Celery app. Tasks carry the schema they were sent from (tenant-schemas-celery)."""

from __future__ import annotations

import os
from typing import Any

import structlog
from celery.signals import task_postrun, task_prerun
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callcenter.settings.dev")

app = CeleryApp("callcenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _bind_task_context(task_id: str, task: Any, **_: Any) -> None:
    from callcenter.core.tenancy import current_schema

    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(task_id=task_id, task=task.name, tenant=current_schema())


@task_postrun.connect
def _clear_task_context(**_: Any) -> None:
    structlog.contextvars.clear_contextvars()
