"""Tickets' periodic work, per tenant through the dispatcher."""

from __future__ import annotations

from celery import shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="tickets.tasks.sla_sweep", base=TenantOnlyTask, ignore_result=True)
def sla_sweep() -> dict[str, int]:
    """Every minute: SLA warnings and breaches that have come due. Safe to run twice."""
    from tickets.services.sla import sla_sweep as sweep

    return sweep()
