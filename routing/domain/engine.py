"""Matching waiting contacts to available agents, one round at a time.

A round takes a snapshot (agents with their skills, pools, capacity and load; queues with
their relaxation steps; waiting contacts) and returns offers. Invariants, each tested as a
property (routing/tests/test_engine.py):

- a contact gets at most one offer in a round, and never while it already has one;
- an agent never goes above its capacity on any channel, nor past its cross-channel rule
  (a voice call blocks chats when the agent is set up so);
- fairness: whenever an agent gets a contact, no contact it could have taken waits with a
  higher priority, or the same priority and an earlier arrival;
- determinism: the same snapshot gives the same offers, ties broken by id.

Nothing here assumes chat: a channel is just a key of the capacity map.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

VOICE = "voice"


class Strategy(StrEnum):
    LONGEST_AVAILABLE = "longest_available"
    LEAST_OCCUPIED = "least_occupied"
    HIGHEST_PROFICIENCY = "highest_proficiency"
    ROUND_ROBIN = "round_robin"


@dataclass(frozen=True)
class Step:
    """From ``after_s`` seconds of waiting on, agents need these skills at these minimum levels,
    from these pools (empty: any pool)."""

    after_s: float
    skills: Mapping[str, int]
    pools: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Queue:
    """``overflow``: while ``overflow_active`` (decided by ``routing.domain.overflow``), agents who
    meet this requirement also qualify, whatever the contact's step; typically a backup pool."""

    id: int
    priority: int
    steps: Sequence[Step]
    strategy: Strategy = Strategy.LONGEST_AVAILABLE
    overflow: Step | None = None
    overflow_active: bool = False

    def step_at(self, waited_s: float) -> tuple[int, Step]:
        """The last step whose time has come (steps are ordered by ``after_s``)."""
        chosen = 0
        for index, step in enumerate(self.steps):
            if waited_s >= step.after_s:
                chosen = index
        return chosen, self.steps[chosen]


@dataclass(frozen=True)
class Agent:
    id: int
    skills: Mapping[str, int]
    pools: frozenset[str]
    capacity: Mapping[str, int]  # per channel, e.g. {"chat": 3, "voice": 1}
    load: Mapping[str, int]  # contacts in hand per channel, offers included
    available_since: float  # when it last became free; smaller = waiting longer
    last_offer_seq: int = 0  # for round robin: lower went longer without an offer
    voice_blocks_chat: bool = True

    def has_room(self, channel: str) -> bool:
        if self.load.get(channel, 0) >= self.capacity.get(channel, 0):
            return False
        if channel != VOICE and self.voice_blocks_chat and self.load.get(VOICE, 0) > 0:
            return False
        if channel == VOICE and self.voice_blocks_chat and any(n for ch, n in self.load.items() if ch != VOICE):
            return False  # a call needs the agent's full attention: not while chats are open
        return True

    def occupancy(self) -> float:
        used = sum(self.load.values())
        total = sum(self.capacity.values())
        return used / total if total else 1.0


@dataclass(frozen=True)
class Contact:
    id: int
    queue_id: int
    channel: str
    arrived_at: float
    priority_boost: int = 0
    excluded_agents: frozenset[int] = frozenset()  # declined it already: the next agent gets it


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    score: tuple[float, ...]


@dataclass(frozen=True)
class Offer:
    """One decision, with what explains it: the step applied and every candidate's score."""

    contact_id: int
    agent_id: int
    queue_id: int
    step: int
    strategy: Strategy
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)
    via_overflow: bool = False  # the agent qualified only through the queue's overflow


def qualifies(agent: Agent, step: Step) -> bool:
    if step.pools and not (agent.pools & step.pools):
        return False
    return all(agent.skills.get(skill, 0) >= level for skill, level in step.skills.items())


def eligible(agent: Agent, queue: Queue, step: Step) -> tuple[bool, bool]:
    """(qualifies, only through overflow) for a contact of ``queue`` at ``step``."""
    if qualifies(agent, step):
        return True, False
    if queue.overflow_active and queue.overflow is not None and qualifies(agent, queue.overflow):
        return True, True
    return False, False


def _score(agent: Agent, step: Step, strategy: Strategy) -> tuple[float, ...]:
    """Smaller is better; the agent id is the final tie-break, so the order is total."""
    if strategy is Strategy.LEAST_OCCUPIED:
        return (agent.occupancy(), agent.available_since, agent.id)
    if strategy is Strategy.HIGHEST_PROFICIENCY:
        proficiency = sum(agent.skills.get(skill, 0) for skill in step.skills)
        return (-proficiency, agent.available_since, agent.id)
    if strategy is Strategy.ROUND_ROBIN:
        return (agent.last_offer_seq, agent.id)
    return (agent.available_since, agent.id)


def _contact_key(contact: Contact, queues: Mapping[int, Queue]) -> tuple[int, float, int]:
    """Higher priority first, then the longest waiting, then the lower id."""
    return (-(queues[contact.queue_id].priority + contact.priority_boost), contact.arrived_at, contact.id)


def route_round(
    *,
    now: float,
    queues: Mapping[int, Queue],
    agents: Iterable[Agent],
    waiting: Iterable[Contact],
    offered: frozenset[int] = frozenset(),
) -> list[Offer]:
    """Offers for this round. Contacts are served in (priority, arrival) order; each takes the
    best-scoring eligible agent with room. ``offered`` holds contacts with a live offer already.

    Serving contacts in that global order is what makes the fairness invariant hold: an agent
    only receives a contact after every contact ahead of it, that the agent could take, has
    been served or found no agent.
    """
    pool = {agent.id: agent for agent in agents}
    offer_seq = max((agent.last_offer_seq for agent in pool.values()), default=0)
    offers: list[Offer] = []
    ordered = sorted(
        (c for c in waiting if c.id not in offered and c.queue_id in queues), key=lambda c: _contact_key(c, queues)
    )
    for contact in ordered:
        queue = queues[contact.queue_id]
        step_index, step = queue.step_at(now - contact.arrived_at)
        candidates = sorted(
            (
                Candidate(agent.id, _score(agent, step, queue.strategy))
                for agent in pool.values()
                if agent.has_room(contact.channel)
                and agent.id not in contact.excluded_agents
                and eligible(agent, queue, step)[0]
            ),
            key=lambda c: c.score,
        )
        if not candidates:
            continue
        chosen = pool[candidates[0].agent_id]
        via_overflow = eligible(chosen, queue, step)[1]
        offer_seq += 1
        load = dict(chosen.load)
        load[contact.channel] = load.get(contact.channel, 0) + 1
        pool[chosen.id] = Agent(
            id=chosen.id,
            skills=chosen.skills,
            pools=chosen.pools,
            capacity=chosen.capacity,
            load=load,
            available_since=chosen.available_since,
            last_offer_seq=offer_seq,
            voice_blocks_chat=chosen.voice_blocks_chat,
        )
        offers.append(
            Offer(
                contact_id=contact.id,
                agent_id=chosen.id,
                queue_id=queue.id,
                step=step_index,
                strategy=queue.strategy,
                candidates=tuple(candidates[:20]),  # enough to explain the choice
                via_overflow=via_overflow,
            )
        )
    return offers
