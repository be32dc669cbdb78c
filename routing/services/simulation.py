"""A simulator scenario from a tenant's own data: its queues, its agents, and the contacts of its
busiest hour re-routed by a rule set (the live one, or a draft a supervisor wants to try)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from agents.models import AgentProfile, AgentSkill
from routing.domain.engine import VOICE
from routing.domain.overflow import OverflowPolicy
from routing.domain.rules import Facts, rule_match
from routing.domain.simulator import AgentTemplate, QueueSpec, Report, Scenario, simulate
from routing.models import Queue, RoutedContact, RoutingRule
from routing.selectors import engine_queue, queues_with_steps
from routing.services.contacts import engine_rule

DEFAULT_HANDLE_S = (240.0, 120.0)  # mean and spread of a chat's handling, without history


@dataclass(frozen=True)
class SimulationInput:
    history_days: int = 7
    volume_scale: float = 1.0  # 3.0: a promotion day with three times the usual peak
    contacts_per_hour: int = 0  # used when there is no history
    agent_scale: float = 1.0
    patience_s: float | None = 180.0
    accept_delay_s: float = 3.0
    seed: int = 7


def _peak_hour_arrivals(rules: Sequence[RoutingRule], since_days: int) -> tuple[dict[int, float], int]:
    """Contacts per queue in the busiest hour of the day over the history, routed by ``rules``.
    Returns (per queue id, number of contacts seen)."""
    since = timezone.now() - timedelta(days=since_days)
    history = list(
        RoutedContact.objects.filter(arrived_at__gte=since).values_list("arrived_at", "facts", "queue_id")[:200_000]
    )
    engine_rules = [engine_rule(rule) for rule in rules]
    default = Queue.objects.filter(is_default=True).values_list("pk", flat=True).first()
    by_hour: dict[int, Counter[int]] = defaultdict(Counter)
    for arrived_at, facts, recorded_queue in history:
        local = timezone.localtime(arrived_at)
        matched = rule_match(
            engine_rules,
            Facts(
                channel=facts.get("channel", ""),
                tier=facts.get("tier", ""),
                topic=facts.get("topic", ""),
                language=facts.get("language", ""),
                first_message=facts.get("first_message", ""),
                at=local,
            ),
            default_queue_id=default or recorded_queue,
        )
        by_hour[local.hour][matched.queue_id] += 1
    if not by_hour:
        return {}, 0
    peak = max(by_hour.values(), key=lambda counts: sum(counts.values()))
    return {queue_id: count / since_days for queue_id, count in peak.items()}, len(history)


def _handle_times() -> dict[int, tuple[float, float]]:
    durations: dict[int, list[float]] = defaultdict(list)
    ended = RoutedContact.objects.filter(ended_at__isnull=False, assigned_at__isnull=False)
    for queue_id, seconds in ended.annotate(took=F("ended_at") - F("assigned_at")).values_list("queue_id", "took")[
        :50_000
    ]:
        durations[queue_id].append(seconds.total_seconds())
    return {
        queue_id: (statistics.fmean(values), statistics.pstdev(values) or 1.0)
        for queue_id, values in durations.items()
        if len(values) >= 10
    }


def _agent_templates(scale: float) -> list[AgentTemplate]:
    """The tenant's active agents, grouped by what routing sees of them."""
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for agent_id, code, level in AgentSkill.objects.values_list("agent_id", "skill__code", "level"):
        skills[agent_id][code] = level
    pools: dict[int, set[str]] = defaultdict(set)
    for agent_id, code in AgentProfile.pools.through.objects.values_list("agentprofile_id", "pool__code"):
        pools[agent_id].add(code)
    groups: Counter[tuple[tuple[tuple[str, int], ...], frozenset[str], int, int, bool]] = Counter()
    for agent in AgentProfile.objects.filter(is_active=True):
        key = (
            tuple(sorted(skills[agent.pk].items())),
            frozenset(pools[agent.pk]),
            agent.chat_capacity,
            agent.voice_capacity,
            agent.voice_blocks_chat,
        )
        groups[key] += 1
    return [
        AgentTemplate(
            count=max(1, round(count * scale)),
            skills=dict(skill_levels),
            pools=agent_pools,
            capacity={"chat": chats, VOICE: calls},
            voice_blocks_chat=blocks,
        )
        for (skill_levels, agent_pools, chats, calls, blocks), count in sorted(groups.items(), key=str)
    ]


def scenario_for(rules: Iterable[RoutingRule], options: SimulationInput) -> tuple[Scenario, int]:
    """The scenario, and how many past contacts it was drawn from (0: ``contacts_per_hour`` split evenly)."""
    queues = [queue for queue in queues_with_steps()]
    arrivals, seen = _peak_hour_arrivals(list(rules), options.history_days)
    if not seen:
        share = options.contacts_per_hour / max(len(queues), 1)
        arrivals = {queue.pk: share for queue in queues}
    handles = _handle_times()
    specs = []
    for queue in queues:
        spec = engine_queue(queue)
        if spec is None:
            continue
        mean, spread = handles.get(queue.pk, DEFAULT_HANDLE_S)
        overflow = None
        if spec.overflow is not None:
            overflow = OverflowPolicy(
                on_ratio=float(queue.overflow_on_ratio),
                off_ratio=float(min(queue.overflow_off_ratio, queue.overflow_on_ratio)),
                min_hold_s=float(queue.overflow_hold_seconds),
            )
        specs.append(
            QueueSpec(
                name=str(queue),
                queue=spec,
                arrivals_per_hour=[arrivals.get(queue.pk, 0.0) * options.volume_scale],
                handle_mean_s=mean,
                handle_sd_s=spread,
                patience_mean_s=options.patience_s,
                service_level_s=float(queue.sla_seconds),
                overflow=overflow,
            )
        )
    after_work = Queue.objects.order_by("-priority").values_list("after_work_seconds", flat=True).first() or 0
    scenario = Scenario(
        queues=specs,
        agents=_agent_templates(options.agent_scale),
        accept_delay_s=options.accept_delay_s,
        after_work_s=float(after_work),
        drain_s=600.0,
    )
    return scenario, seen


def simulate_rules(rules: Iterable[RoutingRule], options: SimulationInput) -> tuple[Report, int]:
    scenario, seen = scenario_for(rules, options)
    return simulate(scenario, options.seed), seen


def live_rules() -> list[RoutingRule]:
    return list(RoutingRule.objects.filter(is_active=True).prefetch_related("tiers").order_by("position", "pk"))
