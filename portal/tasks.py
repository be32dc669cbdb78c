"""Background work of the portal."""

from __future__ import annotations

from celery import shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="portal.tasks.purge_sign_in_codes", base=TenantOnlyTask)
def purge_sign_in_codes() -> int:
    from portal.services import sign_in_codes_purge

    return sign_in_codes_purge()
