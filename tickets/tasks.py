"""Tickets' periodic work, per tenant through the dispatcher."""

from __future__ import annotations

from celery import shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="tickets.tasks.sla_sweep", base=TenantOnlyTask, ignore_result=True)
def sla_sweep() -> dict[str, int]:
    """Every minute: SLA warnings and breaches that have come due. Safe to run twice."""
    from tickets.services.sla import sla_sweep as sweep

    return sweep()


@shared_task(name="tickets.tasks.notify_customer", base=TenantOnlyTask, ignore_result=True)
def notify_customer(ticket_id: int, event: str, comment_id: int | None = None) -> str:
    """Tell the customer about a change to their ticket, once (see tickets.services.notifications)."""
    from tickets.services.notifications import ticket_notify

    return ticket_notify(ticket_id=ticket_id, event=event, comment_id=comment_id)
