from celery import shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="agents.tasks.release_idle_seats", base=TenantOnlyTask)
def release_idle_seats() -> int:
    from agents.services.seats import seats_release_idle

    return seats_release_idle()
