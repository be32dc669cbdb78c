"""Ready-made simulator scenarios: the 1,500-agent promotion peak the benchmarks and
``manage.py simulate_routing --synthetic-peak`` replay."""

from __future__ import annotations

from routing.domain.engine import Queue, Step, Strategy
from routing.domain.overflow import OverflowPolicy
from routing.domain.simulator import AgentTemplate, QueueSpec, Scenario

PRIMARY, BACKUP = frozenset({"primary"}), frozenset({"backup"})
LO, HP, RR = Strategy.LEAST_OCCUPIED, Strategy.HIGHEST_PROFICIENCY, Strategy.ROUND_ROBIN


def relaxing(*levels: tuple[float, dict[str, int]]) -> list[Step]:
    return [Step(after_s, skills) for after_s, skills in levels]


def peak_hour(agents: int = 1500) -> Scenario:
    """A one-hour peak: the big queues comfortable, billing and English short of people."""

    def spec(queue: Queue, name: str, rate: float, policy: OverflowPolicy | None = None) -> QueueSpec:
        return QueueSpec(name, queue, [rate], {"chat": 1.0}, 240, 150, 180, 20, policy)

    billing_overflow = OverflowPolicy(on_ratio=2.0, off_ratio=0.5, min_hold_s=60)
    queues = [
        spec(Queue(1, 0, relaxing((0, {"pre-sales": 2}), (30, {"pre-sales": 1})), LO), "pre-sales", 8000),
        spec(Queue(2, 1, relaxing((0, {"after-sales": 2}), (30, {"after-sales": 1})), LO), "after-sales", 9000),
        spec(Queue(3, 0, relaxing((0, {"logistics": 2}))), "logistics", 5500),
        spec(Queue(4, 2, relaxing((0, {"vip": 1, "after-sales": 2}), (60, {"after-sales": 2})), HP), "vip", 1500),
        spec(
            Queue(5, 0, [Step(0, {"billing": 1}, PRIMARY)], RR, Step(0, {"after-sales": 1}, BACKUP)),
            "billing",
            2500,
            billing_overflow,
        ),
        spec(Queue(6, 0, relaxing((0, {"english": 2}), (45, {"english": 1}))), "english", 1500),
    ]
    teams = [  # (share per 1,500, skills, pools, chat capacity)
        (250, {"pre-sales": 3, "after-sales": 1}, PRIMARY, 3),
        (130, {"pre-sales": 1, "after-sales": 1}, PRIMARY, 2),  # new hires: two chats at a time
        (300, {"after-sales": 3, "logistics": 1}, PRIMARY, 2),
        (160, {"after-sales": 2}, PRIMARY, 2),
        (290, {"logistics": 3, "after-sales": 1}, PRIMARY, 2),
        (90, {"vip": 2, "after-sales": 3}, PRIMARY, 2),
        (55, {"billing": 3}, PRIMARY, 3),
        (165, {"after-sales": 2, "pre-sales": 2}, BACKUP, 3),
        (60, {"english": 3, "pre-sales": 2}, PRIMARY, 2),
    ]
    templates = [
        AgentTemplate(round(share * agents / 1500), skills, pools, {"chat": chats})
        for share, skills, pools, chats in teams
    ]
    return Scenario(queues, templates, accept_delay_s=2.0, miss_probability=0.02, after_work_s=15)
