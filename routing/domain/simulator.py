"""A replay of contact-center hours in virtual time, through the real router.

Deterministic for a seed: contacts arrive per queue as a Poisson process whose rate is given
hour by hour, each with a lognormal handle time and an exponential patience drawn on arrival
(so two runs that differ only in staffing see the same customers). Events (arrival, offer
accepted or missed, handling and after-contact work ending, abandonment, a contact reaching its
next step, an agent back from not ready, the periodic overflow decision) are taken from a heap in
time order, and the ``Router`` decides after each one, as the routing worker would.

Definitions in the report: a contact is *answered* when an agent accepts its offer; its wait is
the time until then, or until it abandoned, or until the end for one still waiting (an offered,
not yet accepted contact still waits). Service level: answered within the queue's threshold over
answered plus abandoned. Occupancy per channel: contacts in hand (offers and after-contact work
included) over capacity, integrated over the run; every agent counts as staffed throughout.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from routing.domain.engine import Agent, Contact, Queue
from routing.domain.overflow import OverflowPolicy, QueueLoad, overflow_next
from routing.domain.router import Router

HOUR_S = 3600.0
ARRIVE, ABANDON, TIMER, ACCEPT, MISS, HANDLED, WRAPPED, READY, OVERFLOW = range(9)


@dataclass(frozen=True)
class QueueSpec:
    name: str
    queue: Queue
    arrivals_per_hour: Sequence[float]  # one rate per hour of the replay
    channel_mix: Mapping[str, float] = field(default_factory=lambda: {"chat": 1.0})  # relative weights
    handle_mean_s: float = 240.0
    handle_sd_s: float = 120.0
    patience_mean_s: float | None = 120.0  # None: nobody abandons
    service_level_s: float = 20.0
    overflow: OverflowPolicy | None = None  # None: the queue's overflow_active is left as given


@dataclass(frozen=True)
class AgentTemplate:
    count: int
    skills: Mapping[str, int]
    pools: frozenset[str] = frozenset()
    capacity: Mapping[str, int] = field(default_factory=lambda: {"chat": 3})
    voice_blocks_chat: bool = True


@dataclass(frozen=True)
class Scenario:
    queues: Sequence[QueueSpec]
    agents: Sequence[AgentTemplate]
    accept_delay_s: float = 2.0
    miss_probability: float = 0.0  # an offer not accepted: back to waiting after the timeout
    accept_timeout_s: float = 15.0
    not_ready_after_miss_s: float = 60.0
    after_work_s: float = 0.0
    overflow_check_s: float = 5.0
    drain_s: float = 0.0  # keep going this long after the last hour, without arrivals

    @property
    def hours(self) -> int:
        return max((len(spec.arrivals_per_hour) for spec in self.queues), default=0)


@dataclass(frozen=True)
class QueueReport:
    name: str
    offered: int  # arrived
    answered: int
    abandoned: int
    waiting_at_end: int
    service_level_pct: float | None
    service_level_s: float
    asa_s: float | None  # average speed of answer
    avg_wait_s: float | None
    p90_wait_s: float | None
    max_wait_s: float | None
    via_overflow: int  # answered by agents who qualified only through overflow
    overflow_s: float  # time the queue spent overflowing


@dataclass(frozen=True)
class Report:
    queues: tuple[QueueReport, ...]
    total: QueueReport
    occupancy_pct: Mapping[str, float]  # per channel, and "all"
    duration_s: float
    events: int
    offers: int
    missed_offers: int


class _Contact:
    __slots__ = ("agent", "arrived", "channel", "done", "handle_s", "id", "spec", "via_overflow", "waited")

    def __init__(self, contact_id: int, spec: int, channel: str, arrived: float, handle_s: float) -> None:
        self.id, self.spec, self.channel, self.arrived, self.handle_s = contact_id, spec, channel, arrived, handle_s
        self.agent: int | None = None  # with a live offer or in hand
        self.done: str | None = None  # "answered" or "abandoned"
        self.waited = 0.0
        self.via_overflow = False


def simulate(scenario: Scenario, seed: int) -> Report:
    return _Run(scenario, seed).run()


class _Run:
    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.sc = scenario
        self.end = scenario.hours * HOUR_S + scenario.drain_s
        self.missing = random.Random(f"{seed}-missed-offers")  # its own stream: staffing never shifts the customers
        self.router = Router({spec.queue.id: spec.queue for spec in scenario.queues})
        self.events: list[tuple[float, int, int, int]] = []  # (time, order, kind, subject)
        self.order = 0
        self.contacts: list[_Contact] = []
        self.not_ready: dict[int, Agent] = {}
        self.timers: set[float] = set()
        self.changed_at = [-math.inf] * len(scenario.queues)  # no hold before the first decision
        self.active_from = [0.0 if spec.queue.overflow_active else None for spec in scenario.queues]
        self.overflow_s = [0.0] * len(scenario.queues)
        self.busy: dict[str, int] = {}
        self.area: dict[str, float] = {}
        self.units: dict[str, int] = {}
        self.mark = 0.0
        self.offers = self.missed = 0
        self._staff()
        self._arrivals(random.Random(seed))
        if any(spec.overflow for spec in scenario.queues):
            self._at(0.0, OVERFLOW, 0)

    def run(self) -> Report:
        events = 0
        while self.events and self.events[0][0] <= self.end:
            now, _, kind, subject = heapq.heappop(self.events)
            events += 1
            if self._handle(now, kind, subject):
                self._route(now)
        self._count_load(self.end)
        return self._report(events)

    # -- setting up ------------------------------------------------------------------------

    def _staff(self) -> None:
        agent_id = 0
        for template in self.sc.agents:
            for _ in range(template.count):
                agent_id += 1
                self.router.upsert_agent(
                    Agent(
                        id=agent_id,
                        skills=template.skills,
                        pools=template.pools,
                        capacity=template.capacity,
                        load={channel: 0 for channel in template.capacity},
                        available_since=0.0,
                        voice_blocks_chat=template.voice_blocks_chat,
                    )
                )
                for channel, units in template.capacity.items():
                    self.units[channel] = self.units.get(channel, 0) + units

    def _arrivals(self, rng: random.Random) -> None:
        """Every contact of the replay, drawn up front: times, channels, handle times, patience."""
        for index, spec in enumerate(self.sc.queues):
            channels, weights = list(spec.channel_mix), list(spec.channel_mix.values())
            sigma = math.sqrt(math.log(1 + (spec.handle_sd_s / spec.handle_mean_s) ** 2))
            mu = math.log(spec.handle_mean_s) - sigma**2 / 2  # so that the mean is handle_mean_s
            for hour, rate in enumerate(spec.arrivals_per_hour):
                at, until = hour * HOUR_S, (hour + 1) * HOUR_S
                while rate > 0:
                    at += rng.expovariate(rate / HOUR_S)  # memoryless: starting again each hour is exact
                    if at >= until:
                        break
                    contact = _Contact(len(self.contacts), index, rng.choices(channels, weights)[0], at, 0.0)
                    contact.handle_s = rng.lognormvariate(mu, sigma)
                    self.contacts.append(contact)
                    self._at(at, ARRIVE, contact.id)
                    if spec.patience_mean_s is not None:
                        self._at(at + rng.expovariate(1 / spec.patience_mean_s), ABANDON, contact.id)

    # -- the events ------------------------------------------------------------------------

    def _at(self, at: float, kind: int, subject: int) -> None:
        self.order += 1  # ties in time keep the order they were scheduled in
        heapq.heappush(self.events, (at, self.order, kind, subject))

    def _handle(self, now: float, kind: int, subject: int) -> bool:
        """Apply one event; whether it may let the router offer something."""
        if kind == TIMER:
            self.timers.discard(now)
            return True
        if kind == READY:
            agent = self.not_ready.pop(subject)
            self.router.upsert_agent(replace(agent, available_since=now))
            return True
        if kind == OVERFLOW:
            if now + self.sc.overflow_check_s <= self.end:
                self._at(now + self.sc.overflow_check_s, OVERFLOW, 0)
            return self._decide_overflow(now)
        contact = self.contacts[subject]
        if kind == ARRIVE:
            self._wait(contact, frozenset())
            return True
        if kind == ABANDON:
            if contact.done is not None:
                return False
            contact.done, contact.waited = "abandoned", now - contact.arrived
            if contact.agent is None:
                self.router.remove_contact(contact.id)
                return False
            self._free(contact, now)  # the offer is withdrawn
            return True
        if contact.done == "abandoned" or contact.agent is None:
            return False  # an offer whose contact left meanwhile
        if kind == ACCEPT:
            contact.done, contact.waited = "answered", now - contact.arrived
            self._at(now + contact.handle_s, HANDLED, contact.id)
            return False
        if kind == MISS:  # the agent goes not ready for a while; the contact waits for the next one
            agent_id = contact.agent
            self.missed += 1
            self._free(contact, now)
            if agent_id not in self.not_ready:  # two offers missed at once: one pause
                self.not_ready[agent_id] = self.router.agent(agent_id)
                self.router.remove_agent(agent_id)
                self._at(now + self.sc.not_ready_after_miss_s, READY, agent_id)
            self._wait(contact, frozenset({agent_id}))
            return True
        if kind == HANDLED and self.sc.after_work_s > 0:
            self._at(now + self.sc.after_work_s, WRAPPED, contact.id)
            return False
        self._free(contact, now)
        return True

    def _wait(self, contact: _Contact, passed_over: frozenset[int]) -> None:
        queue_id = self.sc.queues[contact.spec].queue.id
        self.router.add_contact(Contact(contact.id, queue_id, contact.channel, contact.arrived, 0, passed_over))

    def _free(self, contact: _Contact, now: float) -> None:
        """The agent has one contact less in hand, and became available now."""
        assert contact.agent is not None
        agent_id, contact.agent = contact.agent, None
        self._count_load(now)
        self.busy[contact.channel] -= 1
        agent = self.not_ready.get(agent_id) or self.router.agent(agent_id)
        load = {**agent.load, contact.channel: agent.load[contact.channel] - 1}
        if agent_id in self.not_ready:
            self.not_ready[agent_id] = replace(agent, load=load)
        else:
            self.router.upsert_agent(replace(agent, load=load, available_since=now))

    def _route(self, now: float) -> None:
        offers = self.router.route(now)
        if offers:
            self._count_load(now)
        for offer in offers:
            contact = self.contacts[offer.contact_id]
            contact.agent, contact.via_overflow = offer.agent_id, offer.via_overflow
            self.busy[contact.channel] = self.busy.get(contact.channel, 0) + 1
            self.offers += 1
            if self.sc.miss_probability and self.missing.random() < self.sc.miss_probability:
                self._at(now + self.sc.accept_timeout_s, MISS, contact.id)
            else:
                self._at(now + self.sc.accept_delay_s, ACCEPT, contact.id)
        at = self.router.next_change_at(now)
        if at is not None and at not in self.timers and at <= self.end:
            self.timers.add(at)
            self._at(at, TIMER, 0)

    def _decide_overflow(self, now: float) -> bool:
        changed = False
        for index, spec in enumerate(self.sc.queues):
            queue = self.router.queues[spec.queue.id]
            if spec.overflow is None:
                continue
            ready, with_room = self.router.staffing(queue.steps, spec.channel_mix)
            load = QueueLoad(self.router.waiting_in(queue.id), ready, with_room)
            active = overflow_next(
                active=queue.overflow_active,
                changed_at=self.changed_at[index],
                now=now,
                load=load,
                policy=spec.overflow,
            )
            if active != queue.overflow_active:
                self._overflow_ends(index, now)
                self.active_from[index] = now if active else None
                self.changed_at[index] = now
                self.router.set_queue(replace(queue, overflow_active=active))
                changed = True
        return changed

    def _overflow_ends(self, index: int, now: float) -> None:
        if (since := self.active_from[index]) is not None:
            self.overflow_s[index] += now - since

    def _count_load(self, now: float) -> None:
        for channel, busy in self.busy.items():
            self.area[channel] = self.area.get(channel, 0.0) + busy * (now - self.mark)
        self.mark = now

    # -- the report ------------------------------------------------------------------------

    def _report(self, events: int) -> Report:
        for contact in self.contacts:
            if contact.done is None and contact.arrived <= self.end:
                contact.waited = self.end - contact.arrived
        for index in range(len(self.sc.queues)):
            self._overflow_ends(index, self.end)
        arrived = [c for c in self.contacts if c.arrived <= self.end]
        thresholds = [spec.service_level_s for spec in self.sc.queues]
        per_queue = tuple(
            _queue_report(spec.name, [c for c in arrived if c.spec == i], thresholds, self.overflow_s[i])
            for i, spec in enumerate(self.sc.queues)
        )
        total = _queue_report("all", arrived, thresholds, sum(self.overflow_s))
        occupancy = {ch: 100 * self.area.get(ch, 0.0) / (units * self.end) for ch, units in self.units.items() if units}
        if self.units and self.end:
            occupancy["all"] = 100 * sum(self.area.values()) / (sum(self.units.values()) * self.end)
        return Report(per_queue, total, occupancy, self.end, events, self.offers, self.missed)


def _queue_report(name: str, contacts: list[_Contact], thresholds: list[float], overflow_s: float) -> QueueReport:
    """Figures over ``contacts``; each is held to its own queue's threshold (the total mixes queues)."""
    answered = [c for c in contacts if c.done == "answered"]
    abandoned = sum(1 for c in contacts if c.done == "abandoned")
    in_time = sum(1 for c in answered if c.waited <= thresholds[c.spec])
    shown = {thresholds[c.spec] for c in contacts}
    waits = sorted(c.waited for c in contacts)
    return QueueReport(
        name=name,
        offered=len(contacts),
        answered=len(answered),
        abandoned=abandoned,
        waiting_at_end=sum(1 for c in contacts if c.done is None),
        service_level_pct=100 * in_time / (len(answered) + abandoned) if answered or abandoned else None,
        service_level_s=shown.pop() if len(shown) == 1 else math.nan,  # nan: the queues' thresholds differ
        asa_s=sum(c.waited for c in answered) / len(answered) if answered else None,
        avg_wait_s=sum(waits) / len(waits) if waits else None,
        p90_wait_s=waits[math.ceil(0.9 * len(waits)) - 1] if waits else None,
        max_wait_s=waits[-1] if waits else None,
        via_overflow=sum(1 for c in answered if c.via_overflow),
        overflow_s=overflow_s,
    )


def report_table(report: Report) -> str:
    """The report as a fixed-width table, for a command to print."""

    def num(value: float | None, digits: int = 1) -> str:
        return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"

    head = ["queue", "offered", "answered", "abandoned", "waiting", "SL %", "SL s", "ASA s", "avg wait"]
    head += ["p90 wait", "max wait", "overflow", "ovf min"]
    rows = [head]
    for q in (*report.queues, report.total):
        counts = [q.name, str(q.offered), str(q.answered), str(q.abandoned), str(q.waiting_at_end)]
        times = [q.service_level_pct, q.service_level_s, q.asa_s, q.avg_wait_s, q.p90_wait_s, q.max_wait_s]
        rows.append([*counts, *map(num, times), str(q.via_overflow), num(q.overflow_s / 60)])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    lines.insert(len(lines) - 1, "-" * len(lines[0]))
    occupancy = ", ".join(f"{channel} {pct:.1f}%" for channel, pct in sorted(report.occupancy_pct.items()))
    lines.append(f"occupancy: {occupancy or 'nobody staffed'}")
    lines.append(
        f"{report.duration_s / 60:.0f} simulated minutes, {report.events} events, "
        f"{report.offers} offers, {report.missed_offers} missed"
    )
    return "\n".join(lines)
