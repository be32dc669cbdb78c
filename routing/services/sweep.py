"""The per-tenant safety net run by beat: nothing stays stuck if a task or a worker is lost."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from routing.models import ContactStatus, Queue, RoutedContact
from routing.services.contacts import contacts_enqueue_new
from routing.services.lock import routing_lock
from routing.services.offers import offers_expire_overdue
from routing.services.presence import after_work_end, agents_absent_set_offline
from routing.services.rounds import routing_round


def conversations_unrouted_enqueue(now: datetime) -> int:
    """Open conversations that never entered a queue (the task that should have done it was lost)."""
    with transaction.atomic():
        routing_lock()
        return contacts_enqueue_new(now=now)


def contacts_past_max_wait(now: datetime) -> int:
    """Contacts waiting past their queue's maximum move to its fallback queue, keeping their place;
    with no fallback they are flagged for supervisors."""
    moved = 0
    with transaction.atomic():
        routing_lock()
        overdue = RoutedContact.objects.select_for_update(of=("self",)).filter(
            status=ContactStatus.WAITING, over_max_wait=False
        )
        for queue in Queue.objects.all():
            late = overdue.filter(queue=queue, arrived_at__lte=now - timedelta(seconds=queue.max_wait_seconds))
            if queue.fallback_queue_id and queue.fallback_queue_id != queue.pk:
                moved += late.update(
                    queue_id=queue.fallback_queue_id, last_position=None, over_max_wait=True, target_agent=None
                )
            else:
                moved += late.update(over_max_wait=True)
    return moved


def routing_sweep(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    figures = {
        "offers_expired": offers_expire_overdue(now=now),
        "after_work_ended": after_work_end(now=now),
        "agents_set_offline": agents_absent_set_offline(),
        "contacts_enqueued": conversations_unrouted_enqueue(now),
        "contacts_past_max_wait": contacts_past_max_wait(now),
    }
    figures["offers_made"] = len(routing_round(now=now))
    return figures
