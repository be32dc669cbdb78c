"""The e-commerce after-sales taxonomy every new tenant starts with."""

from __future__ import annotations

from tickets.models import Category

DEFAULT_CATEGORIES = [
    ("return-exchange", "退换货", "return / exchange"),
    ("refund", "退款", "refund"),
    ("damaged", "商品破损", "damaged goods"),
    ("logistics", "物流", "logistics"),
    ("invoice", "发票", "invoice"),
    ("pre-sales", "售前咨询", "pre-sales question"),
    ("complaint", "投诉", "complaint"),
]


def tickets_seed_defaults() -> int:
    created = 0
    for position, (code, name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1):
        _category, was_created = Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "position": position * 10}
        )
        created += int(was_created)
    return created
