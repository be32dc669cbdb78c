"""Celery tasks run in the schema they were sent from, interleaved across tenants, on a real worker."""

from __future__ import annotations

import time

import pytest
from celery import shared_task
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from callcenter.core.tasks import TenantOnlyTask
from callcenter.core.tenancy import NoTenantError
from callcenter.core.testing import TwoTenants


@shared_task(name="tests.report_schema", base=TenantOnlyTask)
def report_schema(tag: str) -> None:
    """Records the schema it ran in and the agents it could see there."""
    from agents.models import AgentProfile

    time.sleep(0.02)  # overlap with the other tenant's tasks on the thread pool
    seen = sorted(AgentProfile.objects.values_list("display_name", flat=True))
    cache.set(f"celery-test:{tag}", {"schema": connection.schema_name, "agents": seen}, 60)


def wait_for(keys: list[str], timeout: float = 20) -> dict[str, dict[str, object]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = cache.get_many(keys)
        if len(found) == len(keys):
            return found
        time.sleep(0.05)
    raise AssertionError(f"only {len(cache.get_many(keys))} of {len(keys)} tasks reported")


def test_interleaved_tasks_of_two_tenants_each_run_in_their_own_schema(
    two_tenants: TwoTenants, celery_worker: object
) -> None:
    from callcenter.core.testing import make_user

    make_user(two_tenants.a, "only-a", agent=True)
    expected = {}
    for i in range(12):
        tenant = two_tenants.a if i % 2 == 0 else two_tenants.b
        with tenant_context(tenant):
            report_schema.delay(f"t{i}")
        expected[f"celery-test:t{i}"] = tenant.schema_name
    reports = wait_for(list(expected))
    for key, schema in expected.items():
        assert reports[key]["schema"] == schema
        assert reports[key]["agents"] == (["agent", "only-a"] if schema == "t_tenant_a" else ["agent"])


def test_a_tenant_task_sent_without_a_tenant_refuses_to_run(platform: None) -> None:
    with schema_context("public"), pytest.raises(NoTenantError):
        report_schema.apply(args=["public"], throw=True).get()
    assert cache.get("celery-test:public") is None


def test_the_dispatcher_sends_one_task_into_every_active_tenant(two_tenants: TwoTenants, celery_worker: object) -> None:
    from callcenter.core.tasks import dispatch_to_tenants
    from callcenter.core.testing import make_tenant
    from tenants.services.resellers import tenant_suspend

    third = make_tenant("tenant-c")  # suspended below: it gets no task
    tenant_suspend(tenant=third, reason="test", actor="operator")
    sent = dispatch_to_tenants.apply(kwargs={"task_name": "tenants.tasks.record_tenant_usage"}).get()
    assert sent == 2
    from tenants.models import UsageSnapshot

    deadline = time.monotonic() + 20
    while UsageSnapshot.objects.count() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    by_tenant = {s.tenant.subdomain: s for s in UsageSnapshot.objects.select_related("tenant")}
    assert set(by_tenant) == {"tenant-a", "tenant-b"}
    assert by_tenant["tenant-a"].agents == 1 and by_tenant["tenant-a"].storage_bytes > 0
    assert by_tenant["tenant-a"].conversations == 0
