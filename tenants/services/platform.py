"""Setting the platform itself up: the public tenant, its domain and the tenant template."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from tenants.models import Domain, Plan, Tenant, TenantStatus
from tenants.services.template_schema import template_ensure_current


def platform_ensure(*, public_domain: str | None = None) -> Tenant:
    """Make sure the public site answers on ``public_domain`` and new tenants can be cloned."""
    domain_name = public_domain or settings.BASE_DOMAIN
    with transaction.atomic():
        public, _created = Tenant.objects.get_or_create(
            schema_name="public",
            defaults={
                "name": "Platform",
                "subdomain": "public",
                "plan": Plan.objects.order_by("-max_agents").first(),
                "status": TenantStatus.ACTIVE,
                "admin_email": "operator@localhost",
            },
        )
        Domain.objects.get_or_create(domain=domain_name, defaults={"tenant": public, "is_primary": True})
    template_ensure_current()
    return public
