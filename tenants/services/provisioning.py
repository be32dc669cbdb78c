"""Turning a signup into a live tenant in under a second, or leaving nothing behind.

PostgreSQL DDL is transactional, so the tenant and domain rows, the cloned schema, the admin
user and the seeded defaults are made in one transaction: a failure anywhere rolls all of it
back. Progress goes to the cache, outside that transaction, so the signup page can show it.
"""

from __future__ import annotations

import time

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_exists, tenant_context

from tenants.models import Domain, Signup, SignupStatus, Tenant, TenantStatus
from tenants.services.audit import audit_record
from tenants.services.template_schema import schema_clone_from_template, schema_drop, template_ensure_current
from tenants.validators import schema_name_for

log = structlog.get_logger(__name__)

PROGRESS_TTL_S = 600


def _progress_key(signup_id: object) -> str:
    return f"signup:{signup_id}:progress"


def signup_progress(signup: Signup) -> tuple[int, str]:
    """(percent, step) for the progress bar; the database status wins once it is final."""
    if signup.status == SignupStatus.ACTIVE:
        return 100, "done"
    if signup.status == SignupStatus.FAILED:
        return 100, "failed"
    cached = cache.get(_progress_key(signup.pk))
    return (cached[0], cached[1]) if cached else (5, "queued")


def _report(signup: Signup, percent: int, step: str) -> None:
    cache.set(_progress_key(signup.pk), (percent, step), PROGRESS_TTL_S)


def _friendly_failure(exc: Exception) -> str:
    return f"Provisioning failed ({type(exc).__name__}). The signup can be retried."


def signup_provision(*, signup_id: str) -> Signup:
    """Provision one signup. Safe to run twice: an active or failed signup is left as it is."""
    from agents.services.bootstrap import tenant_bootstrap

    with transaction.atomic():
        signup = Signup.objects.select_for_update(of=("self",)).select_related("plan", "reseller").get(pk=signup_id)
        if signup.status in (SignupStatus.ACTIVE, SignupStatus.FAILED):
            return signup
        signup.status = SignupStatus.PROVISIONING
        signup.save(update_fields=["status", "updated_at"])

    started = time.perf_counter()
    schema_name = schema_name_for(signup.subdomain)
    try:
        _report(signup, 15, "template")
        template_ensure_current()
        _report(signup, 35, "schema")
        with transaction.atomic():
            tenant = Tenant.objects.create(
                schema_name=schema_name,
                name=signup.company_name,
                subdomain=signup.subdomain,
                plan=signup.plan,
                reseller=signup.reseller,
                admin_email=signup.admin_email,
                status=TenantStatus.PROVISIONING,
            )
            Domain.objects.create(domain=f"{signup.subdomain}.{settings.BASE_DOMAIN}", tenant=tenant, is_primary=True)
            schema_clone_from_template(schema_name)
            _report(signup, 70, "admin")
            with tenant_context(tenant):
                tenant_bootstrap(
                    admin_email=signup.admin_email,
                    admin_password_hash=signup.admin_password_hash,
                    language=signup.language,
                )
            tenant.status = TenantStatus.ACTIVE
            tenant.save(update_fields=["status"])
            Signup.objects.filter(pk=signup.pk).update(
                status=SignupStatus.ACTIVE,
                tenant=tenant,
                progress=100,
                admin_password_hash="",
                finished_at=timezone.now(),
            )
            audit_record(
                actor="system",
                action="tenant.provisioned",
                tenant=tenant,
                reseller=signup.reseller,
                signup=str(signup.pk),
                seconds=round(time.perf_counter() - started, 3),
            )
    except Exception as exc:
        log.exception("tenant.provision_failed", signup=str(signup.pk), subdomain=signup.subdomain)
        _cleanup(schema_name)
        Signup.objects.filter(pk=signup.pk).update(
            status=SignupStatus.FAILED,
            failure_reason=_friendly_failure(exc),
            tenant=None,
            finished_at=timezone.now(),
        )
        audit_record(actor="system", action="tenant.provision_failed", signup=str(signup.pk), error=str(exc)[:300])
    signup.refresh_from_db()
    _report(signup, 100, signup.status)
    log.info(
        "tenant.provision_finished",
        signup=str(signup.pk),
        status=signup.status,
        seconds=round(time.perf_counter() - started, 3),
    )
    return signup


def _cleanup(schema_name: str) -> None:
    """The transaction already rolled back; make sure of it, and drop anything left over."""
    Domain.objects.filter(tenant__schema_name=schema_name).delete()
    Tenant.objects.filter(schema_name=schema_name, status=TenantStatus.PROVISIONING).delete()
    if schema_exists(schema_name) and not Tenant.objects.filter(schema_name=schema_name).exists():
        schema_drop(schema_name)
