"""What every new tenant starts with: the e-commerce after-sales taxonomy, an office-hours
calendar and a standard SLA policy (both theirs to change in the admin)."""

from __future__ import annotations

from agents.services.bootstrap import seed_named
from tickets.models import BusinessCalendar, Category, Priority, SlaPolicy, SlaTarget

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
    return categories_seed_defaults() + sla_seed_defaults()


def categories_seed_defaults() -> int:
    rows = (
        (code, name, name_en, {"position": position * 10})
        for position, (code, name, name_en) in enumerate(DEFAULT_CATEGORIES, start=1)
    )
    return seed_named(Category, rows)


OFFICE_WEEK = [[["09:00", "12:00"], ["13:30", "18:00"]]] * 5 + [[], []]
# (priority, first response, resolution), in business minutes.
STANDARD_TARGETS = [
    (Priority.URGENT, 30, 4 * 60),
    (Priority.HIGH, 60, 8 * 60),
    (Priority.NORMAL, 4 * 60, 3 * 8 * 60),
    (Priority.LOW, 8 * 60, 5 * 8 * 60),
]


def sla_seed_defaults() -> int:
    created = seed_named(BusinessCalendar, [("office", "工作日", "office hours", {"week": OFFICE_WEEK})])
    calendar = BusinessCalendar.objects.get(code="office")
    created += seed_named(SlaPolicy, [("standard", "标准服务", "standard", {"calendar": calendar})])
    policy = SlaPolicy.objects.get(code="standard")
    for priority, first_response, resolution in STANDARD_TARGETS:
        _row, was_created = SlaTarget.objects.get_or_create(
            policy=policy,
            priority=priority,
            defaults={"first_response_minutes": first_response, "resolution_minutes": resolution},
        )
        created += int(was_created)
    return created
