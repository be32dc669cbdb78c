"""Setting the platform itself up: the public tenant, its domain and the tenant template."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from tenants.models import Domain, Plan, Tenant, TenantStatus
from tenants.services.template_schema import template_ensure_current

DEFAULT_PLANS: list[dict[str, object]] = [
    {
        "code": "starter",
        "name": "Starter",
        "name_zh": "入门版",
        "max_agents": 10,
        "storage_quota_gb": 50,
        "monthly_price_cny": "1999.00",
        "features": ["web_chat", "app", "wechat"],
        "sort_order": 0,
    },
    {
        "code": "growth",
        "name": "Growth",
        "name_zh": "成长版",
        "max_agents": 100,
        "storage_quota_gb": 500,
        "monthly_price_cny": "15999.00",
        "features": ["web_chat", "app", "wechat", "voice", "reports"],
        "sort_order": 1,
    },
    {
        "code": "enterprise",
        "name": "Enterprise",
        "name_zh": "企业版",
        "max_agents": 500,
        "storage_quota_gb": 5000,
        "monthly_price_cny": "69999.00",
        "features": ["web_chat", "app", "wechat", "voice", "video", "ivr", "reports", "quality"],
        "sort_order": 2,
    },
]


def plans_ensure_defaults() -> None:
    """The plans a fresh platform offers; existing plans are left as the operator set them."""
    for plan in DEFAULT_PLANS:
        Plan.objects.get_or_create(code=plan["code"], defaults={k: v for k, v in plan.items() if k != "code"})


def platform_ensure(*, public_domain: str | None = None) -> Tenant:
    """Make sure the public site answers on ``public_domain`` and new tenants can be cloned."""
    domain_name = public_domain or settings.BASE_DOMAIN
    with transaction.atomic():
        plans_ensure_defaults()
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
