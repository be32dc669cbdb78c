"""What every new tenant starts with: the e-commerce after-sales taxonomy, an office-hours
calendar and a standard SLA policy (both theirs to change in the admin)."""

from __future__ import annotations

from agents.services.bootstrap import seed_named
from tickets.models import (
    BusinessCalendar,
    Category,
    NotificationTemplate,
    NotifyEvent,
    Priority,
    SlaPolicy,
    SlaTarget,
)

DEFAULT_CATEGORIES = [
    ("return-exchange", "退换货", "return / exchange"),
    ("refund", "退款", "refund"),
    ("damaged", "商品破损", "damaged goods"),
    ("logistics", "物流", "logistics"),
    ("invoice", "发票", "invoice"),
    ("pre-sales", "售前咨询", "pre-sales question"),
    ("complaint", "投诉", "complaint"),
]
# What customers write about each (tickets/domain/classifier.py); the tenant edits them in the admin.
DEFAULT_KEYWORDS: dict[str, list[str]] = {
    "return-exchange": ["退货", "换货", "退换", "寄回", "七天无理由", "不合适", "换一个", "return", "exchange"],
    "refund": ["退款", "退钱", "钱没到", "没到账", "原路退回", "refund", "money back"],
    "damaged": ["破损", "坏了", "碎了", "漏水", "裂了", "瑕疵", "质量问题", "划痕", "broken", "damaged", "leak"],
    "logistics": ["快递", "物流", "发货", "没收到", "到哪", "配送", "签收", "单号", "delivery", "shipping", "tracking"],
    "invoice": ["发票", "开票", "抬头", "税号", "invoice", "receipt"],
    "pre-sales": ["有货", "库存", "尺码", "优惠", "价格", "推荐", "多少钱", "in stock", "price", "discount"],
    "complaint": ["投诉", "差评", "态度差", "欺骗", "12315", "举报", "complain"],
}


def tickets_seed_defaults() -> int:
    return categories_seed_defaults() + sla_seed_defaults() + notification_templates_seed_defaults()


def categories_seed_defaults() -> int:
    rows = (
        (code, name, name_en, {"position": position * 10, "keywords": DEFAULT_KEYWORDS.get(code, [])})
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


# (event, language, e-mail subject, text): the tenant edits them in the admin.
DEFAULT_TEMPLATES = [
    (
        NotifyEvent.REPLY,
        "zh-hans",
        "您的工单 #{number} 有新回复",
        "您的工单 #{number}「{subject}」有新回复：\n{reply}\n查看详情：{link}",
    ),
    (
        NotifyEvent.REPLY,
        "en",
        "New reply on your ticket #{number}",
        'There is a new reply on your ticket #{number} "{subject}":\n{reply}\nDetails: {link}',
    ),
    (
        NotifyEvent.WAITING_CUSTOMER,
        "zh-hans",
        "工单 #{number} 需要您补充信息",
        "您的工单 #{number}「{subject}」需要您补充信息，请回复或点击：{link}",
    ),
    (
        NotifyEvent.WAITING_CUSTOMER,
        "en",
        "Ticket #{number} needs your answer",
        'We need a little more from you on ticket #{number} "{subject}". Reply here or open: {link}',
    ),
    (
        NotifyEvent.RESOLVED,
        "zh-hans",
        "工单 #{number} 已解决",
        "您的工单 #{number}「{subject}」已解决。欢迎为本次服务评分：{link}",
    ),
    (
        NotifyEvent.RESOLVED,
        "en",
        "Ticket #{number} is resolved",
        'Your ticket #{number} "{subject}" is resolved. Tell us how we did: {link}',
    ),
]


def notification_templates_seed_defaults() -> int:
    created = 0
    for event, language, subject, body in DEFAULT_TEMPLATES:
        _row, was_created = NotificationTemplate.objects.get_or_create(
            event=event, language=language, defaults={"subject": subject, "body": body}
        )
        created += int(was_created)
    return created
