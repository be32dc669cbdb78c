"""What routing every new tenant starts with: e-commerce after-sales queues and rules.

Out of the box a VIP customer's return or exchange question goes first to agents with both
"VIP service" and "after-sales", relaxes to any after-sales agent after a minute, and
overflows to the backup pool when the in-house team is saturated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from agents.models import Pool
from customers.models import MembershipTier
from routing.models import Queue, QueueStep, RoutingRule

RETURN_TOPICS = "退换货\n退货\n换货\n退款\n售后\nreturns\nreturn / exchange\nrefund\nafter-sales"
RETURN_KEYWORDS = "退货\n换货\n退款\n退换\n七天无理由\nreturn\nexchange\nrefund"
LOGISTICS_KEYWORDS = "物流\n快递\n发货\n到货\n改地址\n修改地址\n没收到\ntracking\ndelivery\nshipping\naddress"
PRESALES_TOPICS = "售前咨询\n商品咨询\n优惠活动\npre-sales\nproduct question"


@dataclass(frozen=True)
class QueueDefault:
    code: str
    name: str
    name_en: str
    priority: int
    steps: list[tuple[int, str, list[str]]]  # (after seconds, skills, pools)
    overflow_skills: str = ""
    overflow_pools: list[str] = field(default_factory=list)
    is_default: bool = False


DEFAULT_QUEUES = [
    QueueDefault(
        "vip-after-sales",
        "VIP售后",
        "VIP after-sales",
        20,
        [(0, "vip:1 after-sales:1", ["primary"]), (60, "after-sales:1", ["primary"])],
        overflow_skills="after-sales:1",
        overflow_pools=["backup"],
    ),
    QueueDefault(
        "after-sales",
        "售后",
        "after-sales",
        10,
        [(0, "after-sales:1", ["primary"])],
        overflow_skills="after-sales:1",
        overflow_pools=["backup"],
    ),
    QueueDefault("logistics", "物流", "logistics", 10, [(0, "logistics:1", []), (90, "after-sales:1", [])]),
    QueueDefault("pre-sales", "售前", "pre-sales", 5, [(0, "pre-sales:1", []), (120, "", [])]),
    QueueDefault("general", "综合咨询", "general", 0, [(0, "", [])], is_default=True),
]


@dataclass(frozen=True)
class RuleDefault:
    name: str
    queue: str
    boost: int = 0
    tiers: list[str] = field(default_factory=list)
    topics: str = ""
    keywords: str = ""


DEFAULT_RULES = [
    RuleDefault(
        "VIP 退换货（咨询类型）/ VIP return or exchange (topic)", "vip-after-sales", 10, ["vip"], RETURN_TOPICS
    ),
    RuleDefault(
        "VIP 退换货（关键词）/ VIP return or exchange (keywords)", "vip-after-sales", 10, ["vip"], "", RETURN_KEYWORDS
    ),
    RuleDefault("退换货（咨询类型）/ Return or exchange (topic)", "after-sales", 0, [], RETURN_TOPICS),
    RuleDefault("退换货（关键词）/ Return or exchange (keywords)", "after-sales", 0, [], "", RETURN_KEYWORDS),
    RuleDefault("物流 / Logistics", "logistics", 0, [], "", LOGISTICS_KEYWORDS),
    RuleDefault("售前 / Pre-sales", "pre-sales", 0, [], PRESALES_TOPICS),
]


def routing_seed_defaults() -> int:
    """Create the default queues and rules unless the tenant has queues already. Returns how many queues."""
    if Queue.objects.exists():
        return 0
    pools = {pool.code: pool for pool in Pool.objects.all()}
    with transaction.atomic():
        queues = {}
        for spec in DEFAULT_QUEUES:
            queue = Queue.objects.create(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                priority=spec.priority,
                is_default=spec.is_default,
                overflow_skills=spec.overflow_skills,
            )
            queue.overflow_pools.set([pools[code] for code in spec.overflow_pools if code in pools])
            for after_s, skills, step_pools in spec.steps:
                step = QueueStep.objects.create(queue=queue, after_seconds=after_s, skills=skills)
                step.pools.set([pools[code] for code in step_pools if code in pools])
            queues[spec.code] = queue
        tiers = {tier.code: tier for tier in MembershipTier.objects.all()}
        for position, rule_spec in enumerate(DEFAULT_RULES, start=1):
            rule = RoutingRule.objects.create(
                position=position * 10,
                name=rule_spec.name,
                queue=queues[rule_spec.queue],
                priority_boost=rule_spec.boost,
                topics=rule_spec.topics,
                keywords=rule_spec.keywords,
            )
            rule.tiers.set([tiers[code] for code in rule_spec.tiers if code in tiers])
    return len(DEFAULT_QUEUES)
