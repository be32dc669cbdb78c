"""The e-commerce after-sales taxonomy every new tenant starts with."""

from __future__ import annotations

from agents.services.bootstrap import seed_named
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
    rows = (
        (code, name, name_en, {"position": position * 10})
        for position, (code, name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1)
    )
    return seed_named(Category, rows)
