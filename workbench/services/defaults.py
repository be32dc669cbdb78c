"""What every new tenant's desk starts with: a few canned responses for everyone and the wrap-up
codes agents end conversations with (theirs to change)."""

from __future__ import annotations

from agents.services.bootstrap import seed_named
from workbench.models import CannedResponse, CannedScope, WrapUpCode

DEFAULT_CANNED = [
    ("hello", "问候", "您好 {customer_name}，我是{shop_name}客服{agent_name}，很高兴为您服务，请问有什么可以帮您？"),
    ("wait", "请稍等", "请您稍等，我正在为您查询。"),
    ("logistics", "物流查询", "您的订单 {order_no} 正在配送中，物流信息的更新可能会有延迟，请您耐心等待。"),
    ("refund", "退款说明", "您的退款申请已收到，审核通过后款项将在 1-3 个工作日内原路退回。"),
    ("ticket", "已建工单", "已为您登记服务单 {ticket_no}，处理进度会及时通知您，也可以在服务中心随时查看。"),
    ("bye", "结束语", "请问还有其他可以帮您的吗？感谢您对{shop_name}的支持，祝您生活愉快！"),
]


# (code, Chinese name, English name); the migration that added wrap-up codes reads this too.
DEFAULT_WRAP_UP_CODES = [
    ("resolved", "问题已解决", "Resolved"),
    ("return_accepted", "已受理退换货", "Return or exchange accepted"),
    ("logistics_answered", "已答复物流", "Delivery question answered"),
    ("compensated", "已补偿", "Compensated"),
    ("ticket_created", "已转工单", "Ticket created"),
    ("no_reply", "客户未回复", "Customer stopped replying"),
    ("other", "其他", "Other"),
]


def workbench_seed_defaults() -> int:
    return canned_seed_defaults() + wrap_up_codes_seed_defaults()


def wrap_up_codes_seed_defaults() -> int:
    rows = (
        (code, name, name_en, {"position": position * 10})
        for position, (code, name, name_en) in enumerate(DEFAULT_WRAP_UP_CODES, start=1)
    )
    return seed_named(WrapUpCode, rows)


def canned_seed_defaults() -> int:
    created = 0
    for shortcut, title, body in DEFAULT_CANNED:
        _row, was_created = CannedResponse.objects.get_or_create(
            scope=CannedScope.TENANT, shortcut=shortcut, defaults={"title": title, "body": body}
        )
        created += int(was_created)
    return created
