"""What every new tenant starts with: its admin and the defaults of an e-commerce after-sales team."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from agents.models import Skill
from customers.services.tiers import tiers_seed_defaults

DEFAULT_SKILLS: list[tuple[str, str, str, str]] = [
    ("vip", "VIP服务", "VIP service", "高价值客户优先接待 / Serves high-value customers first"),
    ("after-sales", "售后", "after-sales", "退换货、退款、维修 / Returns, exchanges, refunds, repairs"),
    ("logistics", "物流", "logistics", "发货、配送、改地址 / Shipping, delivery, address changes"),
    ("pre-sales", "售前", "pre-sales", "商品咨询、优惠活动 / Product questions, promotions"),
    ("complaints", "投诉处理", "complaints", "投诉与升级 / Complaints and escalations"),
]


def skills_seed_defaults() -> int:
    created = 0
    for code, name, name_en, description in DEFAULT_SKILLS:
        _skill, was_created = Skill.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "description": description}
        )
        created += int(was_created)
    return created


def tenant_bootstrap(*, admin_email: str, admin_password_hash: str, language: str) -> None:
    """Create the tenant's first admin (a superuser of its own schema only) and seed defaults."""
    user_model = get_user_model()
    with transaction.atomic():
        admin, created = user_model.objects.get_or_create(
            username=admin_email,
            defaults={"email": admin_email, "is_staff": True, "is_superuser": True},
        )
        if created:
            admin.password = admin_password_hash
            admin.save(update_fields=["password"])
        skills_seed_defaults()
        tiers_seed_defaults()
