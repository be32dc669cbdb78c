"""The routing-engine suite: how fast the router assigns, and how fast the simulator replays an hour.

1. routing.assign_p99_ms / routing.assign_per_s, with 15,000 agents online and 10,000 contacts
   waiting (and the same with 1,500 agents: the *_1500 figures). Agents come from team templates
   with levels varied per agent (hundreds of distinct skill profiles), chat capacity 1-3, some
   voice agents; eight queues with relaxing steps, every strategy, overflow on and off. The
   start is steady state: everybody busy, 10,000 waiting. Then, repeatedly: one contact ends
   (``upsert_agent`` with one less in hand, available from now), one contact arrives
   (``add_contact``), and ``route(now)`` runs, with the virtual clock 20 ms further on each
   time so contacts move through their steps. Measured:
   - assign_p99_ms: the 99th percentile over assignments of the duration of the ``route()`` call
     that made it, divided by the number of assignments that call made (nearly always one).
   - assign_per_s: assignments over the time spent in all three router calls of the loop.
2. routing.simulate_hour_s: wall time of ``simulate()`` replaying a one-hour peak: 1,500 chat
   agents (capacity 2-3) on six queues, about 28,000 contacts, 4 minute mean handle time,
   after-contact work, missed offers and an overflowing billing queue.

Pure Python in this process: no database or Redis, although run.py sets them up before.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if __package__ in (None, ""):  # `python bench/routing/engine.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.env import progress
from routing.domain.engine import VOICE, Agent, Contact, Queue, Step, Strategy
from routing.domain.router import Router
from routing.domain.scenarios import peak_hour
from routing.domain.simulator import report_table, simulate

if TYPE_CHECKING:
    from bench.env import Results

BUDGET_S = 300.0
ALARM_S = 570
HARD_STOP_S = 590.0
WARMUP = 300  # loop turns not measured: the heaps each signature needs are built on first use
TURNS = 6000
TICK_S = 0.02
PRIMARY, BACKUP = frozenset({"primary"}), frozenset({"backup"})

LA, LO, HP, RR = Strategy.LONGEST_AVAILABLE, Strategy.LEAST_OCCUPIED, Strategy.HIGHEST_PROFICIENCY, Strategy.ROUND_ROBIN


def relaxing(*levels: tuple[float, dict[str, int]]) -> list[Step]:
    return [Step(after_s, skills) for after_s, skills in levels]


QUEUES = [
    Queue(1, 0, relaxing((0, {"pre-sales": 3}), (20, {"pre-sales": 2}), (60, {"pre-sales": 1})), LO),
    Queue(2, 1, relaxing((0, {"after-sales": 3}), (30, {"after-sales": 2}), (90, {"after-sales": 1}))),
    Queue(3, 0, relaxing((0, {"logistics": 2}), (60, {"logistics": 1})), LA),
    Queue(4, 3, [Step(0, {"vip": 1, "after-sales": 2}, PRIMARY), Step(60, {"after-sales": 2})], HP),
    Queue(5, 0, [Step(0, {"billing": 1}, PRIMARY)], RR, Step(0, {"after-sales": 1}, BACKUP), overflow_active=True),
    Queue(6, 0, relaxing((0, {"english": 2}), (45, {"english": 1})), LA),
    Queue(7, 1, relaxing((0, {"after-sales": 2, "logistics": 1}), (30, {"after-sales": 1})), LO, Step(0, {}, BACKUP)),
    Queue(8, 0, relaxing((0, {"japanese": 1})), HP),
]
SKILLS = ("pre-sales", "after-sales", "logistics", "vip", "billing", "english", "japanese")
QUEUE_WEIGHTS = [25, 25, 15, 5, 8, 8, 10, 4]
TEAMS = [  # (share, skills at their usual level, pools)
    (20, {"pre-sales": 3, "after-sales": 1}, PRIMARY),
    (22, {"after-sales": 3, "logistics": 1}, PRIMARY),
    (14, {"logistics": 3, "after-sales": 1}, PRIMARY),
    (6, {"vip": 2, "after-sales": 3}, PRIMARY),
    (6, {"billing": 3, "after-sales": 1}, PRIMARY),
    (8, {"after-sales": 2, "pre-sales": 2}, BACKUP),
    (8, {"english": 3, "pre-sales": 2}, PRIMARY),
    (4, {"japanese": 2, "after-sales": 2}, PRIMARY),
    (12, {"pre-sales": 2, "after-sales": 2, "logistics": 2}, PRIMARY | BACKUP),
]


def population(agents: int, rng: random.Random) -> list[Agent]:
    """Everybody busy: chat agents with every slot taken, voice agents on a call."""
    made = []
    shares = [share for share, _, _ in TEAMS]
    for agent_id in range(1, agents + 1):
        _, usual, pools = rng.choices(TEAMS, shares)[0]
        skills = {skill: min(5, max(1, level + rng.choice((-1, 0, 0, 1)))) for skill, level in usual.items()}
        if rng.random() < 0.3:  # a second string to their bow
            skills.setdefault(rng.choice(SKILLS), rng.randint(1, 3))
        if rng.random() < 0.15:
            capacity, load = {"chat": rng.randint(0, 1), VOICE: 1}, {"chat": 0, VOICE: 1}
        else:
            chats = rng.randint(1, 3)
            capacity, load = {"chat": chats}, {"chat": chats}
        made.append(Agent(agent_id, skills, pools, capacity, load, rng.uniform(-600, 0), rng.randint(0, 10)))
    return made


def new_contact(contact_id: int, now: float, rng: random.Random) -> Contact:
    queue = rng.choices(QUEUES, QUEUE_WEIGHTS)[0]
    channel = VOICE if rng.random() < 0.15 else "chat"
    return Contact(contact_id, queue.id, channel, now, priority_boost=1 if rng.random() < 0.1 else 0)


def measure_assignments(agents: int, waiting: int, seed: int = 1) -> tuple[float, float]:
    """(p99 ms per assignment, assignments per second) in steady state; see the module docstring."""
    rng = random.Random(seed)
    router = Router({queue.id: queue for queue in QUEUES})
    t0 = time.perf_counter()
    for agent in population(agents, rng):
        router.upsert_agent(agent)
    now = 0.0
    for contact_id in range(1, waiting + 1):
        router.add_contact(replace(new_contact(contact_id, now, rng), arrived_at=rng.uniform(-300, 0)))
    first = router.route(now)
    progress(
        f"{agents} agents ({len({(frozenset(a.skills.items()), a.pools) for a in router.agents.values()})} skill "
        f"profiles), {waiting} waiting on {len(QUEUES)} queues: loaded and first round ({len(first)} offers) "
        f"in {time.perf_counter() - t0:.2f}s"
    )
    ids = sorted(router.agents)
    latencies: list[float] = []
    busy_s = 0.0
    assigned = 0
    next_id = waiting + 1
    for turn in range(WARMUP + TURNS):
        now += TICK_S
        agent = router.agent(rng.choice(ids))
        busy = [channel for channel, n in agent.load.items() if n]
        contact = new_contact(next_id, now, rng)
        next_id += 1
        started = time.perf_counter()
        if busy:
            channel = rng.choice(busy)
            router.upsert_agent(
                replace(agent, load={**agent.load, channel: agent.load[channel] - 1}, available_since=now)
            )
        router.add_contact(contact)
        routed_at = time.perf_counter()
        offers = router.route(now)
        ended = time.perf_counter()
        if turn >= WARMUP:
            busy_s += ended - started
            assigned += len(offers)
            latencies += [(ended - routed_at) / len(offers)] * len(offers)
    latencies.sort()
    p99_ms = 1000 * latencies[int(0.99 * (len(latencies) - 1))]
    progress(
        f"{TURNS} turns of (a contact ends, one arrives, route): {assigned} assignments, {len(router.waiting)} "
        f"waiting at the end; per assignment p50 {1000 * latencies[len(latencies) // 2]:.3f}ms, "
        f"p99 {p99_ms:.3f}ms, max {1000 * latencies[-1]:.3f}ms; {assigned / busy_s:.0f}/s counting all three calls"
    )
    _burst(router, ids, now, rng)
    return p99_ms, assigned / busy_s


def _burst(router: Router, ids: list[int], now: float, rng: random.Random) -> None:
    """For the progress lines only: an eighth of the agents each end a contact at once, then one round."""
    for agent_id in rng.sample(ids, len(ids) // 8):
        agent = router.agent(agent_id)
        if busy := [channel for channel, n in agent.load.items() if n]:
            load = {**agent.load, busy[0]: agent.load[busy[0]] - 1}
            router.upsert_agent(replace(agent, load=load, available_since=now))
    t0 = time.perf_counter()
    offers = router.route(now)
    elapsed = time.perf_counter() - t0
    progress(
        f"a burst ({len(ids) // 8} contacts end at once): one route() made {len(offers)} offers "
        f"in {1000 * elapsed:.1f}ms"
    )


def measure_calm(agents: int, arrivals: int = 3000, seed: int = 2) -> None:
    """For the progress lines only: agents with room to spare, so each arrival is routed at once
    and the best agent is sought among every skill profile with room (the other extreme)."""
    rng = random.Random(seed)
    router = Router({queue.id: queue for queue in QUEUES})
    for agent in population(agents, rng):
        router.upsert_agent(replace(agent, load={channel: 0 for channel in agent.load}))
    latencies = []
    for contact_id in range(1, arrivals + 1):
        now = contact_id * TICK_S
        router.add_contact(new_contact(contact_id, now, rng))
        t0 = time.perf_counter()
        offers = router.route(now)
        latencies += [(time.perf_counter() - t0) / len(offers)] * len(offers)
        for offer in offers:  # the contact ends at once, so that room stays plentiful
            agent = router.agent(offer.agent_id)
            channel = next(ch for ch, n in agent.load.items() if n)
            router.upsert_agent(replace(agent, load={**agent.load, channel: agent.load[channel] - 1}))
    latencies.sort()
    progress(
        f"calm, {agents} agents with room: {len(latencies)} of {arrivals} arrivals assigned on arrival, "
        f"per assignment p50 {1000 * latencies[len(latencies) // 2]:.3f}ms, "
        f"p99 {1000 * latencies[int(0.99 * (len(latencies) - 1))]:.3f}ms"
    )


def run_engine_suite(results: Results, env: dict[str, str], started: float) -> None:
    for agents, suffix in ((15_000, ""), (1_500, "_1500")):
        p99_ms, per_s = measure_assignments(agents, waiting=10_000)
        results.emit(f"routing.assign_p99_ms{suffix}", round(p99_ms, 3), "ms", 10)
        results.emit(f"routing.assign_per_s{suffix}", round(per_s), "1/s", 500)
        measure_calm(agents)
    scenario = peak_hour()
    t0 = time.perf_counter()
    report = simulate(scenario, seed=1)
    elapsed = time.perf_counter() - t0
    progress(f"one-hour peak, {sum(t.count for t in scenario.agents)} agents, replayed in {elapsed:.1f}s:")
    for line in report_table(report).splitlines():
        progress("  " + line)
    results.emit("routing.simulate_hour_s", round(elapsed, 2), "s", 60)
    progress(f"routing-engine suite done in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    from bench.env import Results

    run_engine_suite(Results(), {}, time.monotonic())
