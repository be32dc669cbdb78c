"""Fixtures every test can use. Tenant tests are transactional: schemas are real DDL, and
Celery workers and WebSocket consumers read from other threads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connection


def _drop_tenant_schemas() -> None:
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%'")
        for (schema,) in cursor.fetchall():
            cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def platform(transactional_db: None) -> Iterator[None]:
    """Plans, the public tenant on localhost and a current template; tenant schemas dropped after."""
    from tenants.services.platform import platform_ensure

    _drop_tenant_schemas()
    cache.clear()
    platform_ensure()
    yield
    _drop_tenant_schemas()
    cache.clear()


@pytest.fixture
def two_tenants(platform: None):  # type: ignore[no-untyped-def]
    from callcenter.core.testing import make_two_tenants

    return make_two_tenants()


@pytest.fixture
def celery_worker(platform: None) -> Iterator[object]:
    """A real Celery worker (threads pool) consuming every queue from the test Redis broker."""
    from celery.contrib.testing.worker import start_worker
    from django.conf import settings

    from callcenter.celery import app

    with app.connection_for_write() as conn:
        for queue in settings.TASK_QUEUES:
            conn.default_channel.queue_purge(queue)
    with start_worker(
        app, pool="threads", concurrency=4, queues=settings.TASK_QUEUES, perform_ping_check=False, shutdown_timeout=15
    ) as worker:
        yield worker
