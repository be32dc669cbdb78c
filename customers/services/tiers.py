"""The membership tiers a new tenant starts with; the tenant edits them in its admin."""

from __future__ import annotations

from customers.models import MembershipTier

DEFAULT_TIERS = [
    ("normal", "普通会员", "normal", 0),
    ("silver", "白银会员", "silver", 10),
    ("gold", "黄金会员", "gold", 20),
    ("vip", "VIP会员", "VIP", 30),
]


def tiers_seed_defaults() -> int:
    created = 0
    for code, name, name_en, rank in DEFAULT_TIERS:
        _tier, was_created = MembershipTier.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "rank": rank}
        )
        created += int(was_created)
    return created
