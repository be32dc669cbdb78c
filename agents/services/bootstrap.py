"""What every new tenant starts with: its admin and the defaults of an e-commerce after-sales team."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction

from agents.models import NotReadyReason, Pool, Skill
from customers.services.tiers import tiers_seed_defaults

# Other contexts add their own defaults here at start-up (routing: queues and rules).
TENANT_SEEDERS: list[Callable[[], object]] = []

DEFAULT_SKILLS: list[tuple[str, str, str, str]] = [
    ("vip", "VIP服务", "VIP service", "高价值客户优先接待 / Serves high-value customers first"),
    ("after-sales", "售后", "after-sales", "退换货、退款、维修 / Returns, exchanges, refunds, repairs"),
    ("logistics", "物流", "logistics", "发货、配送、改地址 / Shipping, delivery, address changes"),
    ("pre-sales", "售前", "pre-sales", "商品咨询、优惠活动 / Product questions, promotions"),
    ("complaints", "投诉处理", "complaints", "投诉与升级 / Complaints and escalations"),
]


def seed_named(model: type[models.Model], rows: Iterable[tuple[str, str, str, dict[str, Any]]]) -> int:
    """Create the (code, Chinese name, English name, other fields) rows that are missing; returns how many."""
    created = 0
    for code, name, name_en, extra in rows:
        _row, was_created = model._default_manager.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, **extra}
        )
        created += int(was_created)
    return created


def skills_seed_defaults() -> int:
    return seed_named(Skill, ((c, n, e, {"description": d}) for c, n, e, d in DEFAULT_SKILLS))


DEFAULT_POOLS: list[tuple[str, str, str, str]] = [
    ("primary", "自营客服", "in-house team", "首选接待 / Takes contacts first"),
    ("backup", "后备客服", "backup team", "高峰溢出时接待 / Takes overflow at peaks"),
]
MISSED_REASON = "missed"
DEFAULT_NOT_READY_REASONS: list[tuple[str, str, str, bool]] = [
    ("break", "小休", "break", False),
    ("meal", "用餐", "meal", False),
    ("meeting", "会议", "meeting", False),
    ("training", "培训", "training", False),
    (MISSED_REASON, "未接来单", "missed an offer", True),
]


def pools_seed_defaults() -> int:
    return seed_named(Pool, ((c, n, e, {"description": d}) for c, n, e, d in DEFAULT_POOLS))


def not_ready_reasons_seed_defaults() -> int:
    return seed_named(NotReadyReason, ((c, n, e, {"is_system": s}) for c, n, e, s in DEFAULT_NOT_READY_REASONS))


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
        pools_seed_defaults()
        not_ready_reasons_seed_defaults()
        for seed in TENANT_SEEDERS:
            seed()
