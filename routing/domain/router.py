"""An incremental router: exactly ``route_round``'s decisions, without scanning every agent.

``route_round`` serves contacts in (priority, arrival) order and gives each the best-scoring
eligible agent with room. ``Router`` keeps the state between rounds, indexed so that a round
only touches what can change its outcome (property-tested against ``route_round``):

- Agents are grouped by signature (skills and pools), which alone decides what they qualify
  for. Per (signature, channel) the agents with room sit in heaps, one per scoring order,
  invalidated lazily: an entry carries the agent's version, bumped on every change.
- Per (queue, step, channel), the set of signatures that qualify and have someone with room
  is kept current, so "can anybody take this contact?" is one lookup.
- Waiting contacts live in lanes (queue, channel, boost) sorted by arrival. Within a lane the
  order is route_round's and the step only goes down along it, so the contacts at one step
  form a contiguous run of which only the head can be next. A round merges the runs' heads in
  route_round's order; a run whose head finds nobody is over for the round, since agents only
  lose room during one (a contact that excluded agents is passed over alone).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from types import MappingProxyType

from routing.domain.engine import Agent, Candidate, Contact, Offer, Queue, Step, Strategy, qualifies

MAX_CANDIDATES = 20  # the explanation route_round keeps with each offer

Entry = tuple  # (*sort key, agent id, version)
Target = tuple[int, int, str]  # (queue id, step index, channel)
LaneKey = tuple[int, str, int]  # (queue id, channel, priority boost)


def _by_available(agent: Agent) -> Entry:
    return (agent.available_since, agent.id)


def _by_occupancy(agent: Agent) -> Entry:
    return (agent.occupancy(), agent.available_since, agent.id)


def _by_last_offer(agent: Agent) -> Entry:
    return (agent.last_offer_seq, agent.id)


# Within one signature, highest_proficiency orders agents as longest_available does: the
# proficiency is the same for all of them, so it is added when signatures are merged.
_ORDER: dict[Strategy, Callable[[Agent], Entry]] = {
    Strategy.LONGEST_AVAILABLE: _by_available,
    Strategy.HIGHEST_PROFICIENCY: _by_available,
    Strategy.LEAST_OCCUPIED: _by_occupancy,
    Strategy.ROUND_ROBIN: _by_last_offer,
}
_KEYS = frozenset(_ORDER.values())


@dataclass(frozen=True)
class _Plan:
    """A queue's steps as a function of the time waited, the way ``Queue.step_at`` reads them."""

    after: tuple[float, ...]  # every step's after_s, sorted
    best: tuple[int, ...]  # best[i]: the step once waited >= after[i] (the last index among them)
    steps: tuple[int, ...]  # the step indices a contact can be at
    changes: tuple[float, ...]  # waited times at which the step changes

    @classmethod
    def of(cls, queue: Queue) -> _Plan:
        ordered = sorted((step.after_s, index) for index, step in enumerate(queue.steps))
        best: list[int] = []
        for _, index in ordered:
            best.append(max(index, best[-1]) if best else index)
        after = tuple(after_s for after_s, _ in ordered)
        plan = cls(after, tuple(best), (), ())
        changes = tuple(t for t in sorted(set(after)) if plan.step(t) != plan.step(math.nextafter(t, -math.inf)))
        return cls(after, tuple(best), tuple(sorted({0, *best}, reverse=True)), changes)

    def step(self, waited: float) -> int:
        # step_at takes the last index whose after_s <= waited: a maximum over a set that only
        # grows with the wait, so the step never goes down as a contact waits.
        count = bisect_right(self.after, waited)
        return self.best[count - 1] if count else 0


class Router:
    """Routing state between rounds; ``route(now)`` decides as ``route_round`` would on it."""

    def __init__(self, queues: Mapping[int, Queue]) -> None:
        self._queues: dict[int, Queue] = {}
        self._plans: dict[int, _Plan] = {}
        self._agents: dict[int, Agent] = {}
        self._version: dict[int, int] = {}  # globally unique, so a returning agent's old entries stay dead
        self._versions = 0
        self._sig_ids: dict[tuple[frozenset[tuple[str, int]], frozenset[str]], int] = {}
        self._sig_of: dict[int, int] = {}
        self._sample: list[Agent] = []  # one agent per signature: qualifying is the same for all
        self._members: list[set[int]] = []
        self._targets: list[dict[tuple[int, int], bool]] = []  # (queue, step) -> only through overflow
        self._room: dict[tuple[int, str], set[int]] = {}  # (signature, channel) -> agents with room
        self._room_channels: list[set[str]] = []  # per signature, the channels where someone has room
        self._heaps: dict[tuple[int, str, Callable[[Agent], Entry]], list[Entry]] = {}
        self._open: dict[Target, set[int]] = {}  # signatures that qualify and have someone with room
        self._seq: list[tuple[int, int, int]] = []  # (-last_offer_seq, agent id, version)
        self._contacts: dict[int, Contact] = {}
        self._lanes: dict[LaneKey, list[tuple[float, int]]] = {}  # sorted (arrived_at, contact id)
        self._per_queue: Counter[int] = Counter()
        for queue in queues.values():
            self.set_queue(queue)

    # -- reading ---------------------------------------------------------------------------

    @property
    def queues(self) -> Mapping[int, Queue]:
        return MappingProxyType(self._queues)

    @property
    def agents(self) -> Mapping[int, Agent]:
        return MappingProxyType(self._agents)

    @property
    def waiting(self) -> Mapping[int, Contact]:
        return MappingProxyType(self._contacts)

    def agent(self, agent_id: int) -> Agent:
        return self._agents[agent_id]

    def waiting_in(self, queue_id: int) -> int:
        return self._per_queue[queue_id]

    def staffing(self, steps: Iterable[Step], channels: Iterable[str]) -> tuple[int, int]:
        """(agents who meet any of ``steps``, of whom with room on any of ``channels``): the
        figures the overflow decision needs (``overflow.QueueLoad``)."""
        steps, channels = tuple(steps), tuple(channels)
        ready = with_room = 0
        for sig, sample in enumerate(self._sample):
            if self._members[sig] and any(qualifies(sample, step) for step in steps):
                ready += len(self._members[sig])
                rooms = [self._room.get((sig, ch), set()) for ch in channels]
                with_room += len(set().union(*rooms)) if len(rooms) > 1 else sum(map(len, rooms))
        return ready, with_room

    # -- changes ---------------------------------------------------------------------------

    def set_queue(self, queue: Queue) -> None:
        self._queues[queue.id] = queue
        self._plans[queue.id] = _Plan.of(queue)
        for target in [t for t in self._open if t[0] == queue.id]:
            del self._open[target]
        for sig in range(len(self._sample)):
            self._retarget(sig, queue)

    def upsert_agent(self, agent: Agent) -> None:
        if agent.id in self._agents:
            self._detach(self._agents[agent.id])
        self._attach(agent)

    def remove_agent(self, agent_id: int) -> None:
        if agent_id in self._agents:
            self._detach(self._agents.pop(agent_id))

    def add_contact(self, contact: Contact) -> None:
        self.remove_contact(contact.id)
        self._contacts[contact.id] = contact
        insort(self._lanes.setdefault(_lane(contact), []), (contact.arrived_at, contact.id))
        self._per_queue[contact.queue_id] += 1

    def remove_contact(self, contact_id: int) -> None:
        contact = self._contacts.pop(contact_id, None)
        if contact is not None:
            lane = self._lanes[_lane(contact)]
            del lane[bisect_left(lane, (contact.arrived_at, contact.id))]
            self._per_queue[contact.queue_id] -= 1

    # -- deciding --------------------------------------------------------------------------

    def route(self, now: float) -> list[Offer]:
        """Offers for every contact that can be matched now, applied: loads and counters move on
        and the offered contacts stop waiting."""
        offer_seq = self._max_seq()
        heads: list[tuple[tuple[int, float, int], LaneKey, int, int]] = []
        for lane_key, lane in self._lanes.items():
            queue_id, channel, _ = lane_key
            if lane and queue_id in self._queues:
                plan = self._plans[queue_id]
                for step in plan.steps:
                    if self._open.get((queue_id, step, channel)):
                        self._push_head(heads, lane_key, step, plan, now, None)
        offers: list[Offer] = []
        while heads:
            _, lane_key, step_index, pos = heapq.heappop(heads)
            queue_id, channel, _ = lane_key
            open_sigs = self._open.get((queue_id, step_index, channel))
            if not open_sigs:
                continue  # nobody with room qualifies any more: the whole run waits
            queue = self._queues[queue_id]
            contact = self._contacts[self._lanes[lane_key][pos][1]]
            candidates = self._candidates(queue, step_index, channel, open_sigs, contact.excluded_agents)
            if candidates:
                offer_seq += 1
                offers.append(self._offer(contact, queue, step_index, candidates, offer_seq))
            elif not contact.excluded_agents:
                continue  # only possible for a contact that passes agents over: the rest may find one
            self._push_head(heads, lane_key, step_index, self._plans[queue_id], now, pos + 1)
        for offer in offers:
            self.remove_contact(offer.contact_id)
        return offers

    def next_change_at(self, now: float) -> float | None:
        """The earliest time after ``now`` at which a waiting contact moves to another step."""
        earliest: float | None = None
        for (queue_id, _, _), lane in self._lanes.items():
            if not lane or queue_id not in self._queues:
                continue
            for waited in self._plans[queue_id].changes:
                first = _first(lane, partial(_not_yet, now, waited))
                if first < len(lane):
                    at = _first_time_waited(lane[first][0], waited)
                    earliest = at if earliest is None else min(earliest, at)
        return earliest

    # -- internals -------------------------------------------------------------------------

    def _push_head(self, heads: list, lane_key: LaneKey, step: int, plan: _Plan, now: float, start: int | None) -> None:
        """The contact at ``start`` if the run at ``step`` goes on there; None: where the run begins."""
        lane = self._lanes[lane_key]
        if start is None:  # the step only goes down along a lane: the run starts at the first at or below
            start = _first(lane, lambda arrived_at: plan.step(now - arrived_at) <= step)
        if start < len(lane) and plan.step(now - lane[start][0]) == step:
            arrived_at, contact_id = lane[start]
            queue_id, _, boost = lane_key
            key = (-(self._queues[queue_id].priority + boost), arrived_at, contact_id)  # route_round's order
            heapq.heappush(heads, (key, lane_key, step, start))

    def _candidates(
        self, queue: Queue, step_index: int, channel: str, sigs: set[int], excluded: frozenset[int]
    ) -> list[Candidate]:
        """The best (up to MAX_CANDIDATES) agents with room, scored as route_round scores them:
        a k-way merge of the signatures' heaps, popped and pushed back."""
        order = _ORDER[queue.strategy]
        step = queue.steps[step_index]
        fronts: list[tuple[Entry, int, list[Entry]]] = []
        prefixes: dict[int, Entry] = {}
        for sig in sigs:
            heap = self._heap(sig, channel, order)
            if queue.strategy is Strategy.HIGHEST_PROFICIENCY:
                prefixes[sig] = (-sum(self._sample[sig].skills.get(skill, 0) for skill in step.skills),)
            if (top := self._clean_top(heap)) is not None:
                fronts.append((prefixes.get(sig, ()) + top[:-1], sig, heap))
        heapq.heapify(fronts)
        taken: list[tuple[list[Entry], Entry]] = []
        chosen: list[Candidate] = []
        while fronts and len(chosen) < MAX_CANDIDATES:
            score, sig, heap = fronts[0]
            entry = heapq.heappop(heap)
            taken.append((heap, entry))
            if entry[-2] not in excluded:
                chosen.append(Candidate(entry[-2], score))
            if (top := self._clean_top(heap)) is not None:
                heapq.heapreplace(fronts, (prefixes.get(sig, ()) + top[:-1], sig, heap))
            else:
                heapq.heappop(fronts)
        for heap, entry in taken:
            heapq.heappush(heap, entry)
        return chosen

    def _offer(self, contact: Contact, queue: Queue, step_index: int, candidates: list[Candidate], seq: int) -> Offer:
        agent = self._agents[candidates[0].agent_id]
        via_overflow = self._targets[self._sig_of[agent.id]][(queue.id, step_index)]
        load = dict(agent.load)
        load[contact.channel] = load.get(contact.channel, 0) + 1
        self.upsert_agent(replace(agent, load=load, last_offer_seq=seq))
        return Offer(
            contact_id=contact.id,
            agent_id=agent.id,
            queue_id=queue.id,
            step=step_index,
            strategy=queue.strategy,
            candidates=tuple(candidates),
            via_overflow=via_overflow,
        )

    def _attach(self, agent: Agent) -> None:
        sig = self._signature(agent)
        self._versions += 1
        version = self._versions
        self._agents[agent.id] = agent
        self._version[agent.id] = version
        self._sig_of[agent.id] = sig
        self._members[sig].add(agent.id)
        for channel in agent.capacity:
            if not agent.has_room(channel):
                continue
            room = self._room.setdefault((sig, channel), set())
            if not room:
                self._room_channels[sig].add(channel)
                for queue_id, step in self._targets[sig]:
                    self._open.setdefault((queue_id, step, channel), set()).add(sig)
            room.add(agent.id)
            for order in _KEYS:
                heap = self._heaps.get((sig, channel, order))
                if heap is not None:
                    heapq.heappush(heap, (*order(agent), version))
                    if len(heap) > 2 * len(room) + 16:  # mostly dead entries: rebuild
                        self._heaps[(sig, channel, order)] = self._build(room, order)
        heapq.heappush(self._seq, (-agent.last_offer_seq, agent.id, version))
        if len(self._seq) > 2 * len(self._agents) + 16:
            self._seq = [(-a.last_offer_seq, a.id, self._version[a.id]) for a in self._agents.values()]
            heapq.heapify(self._seq)

    def _detach(self, agent: Agent) -> None:
        sig = self._sig_of.pop(agent.id)
        del self._version[agent.id]
        self._members[sig].discard(agent.id)
        for channel in agent.capacity:
            room = self._room.get((sig, channel))
            if room and agent.id in room:
                room.discard(agent.id)
                if not room:
                    self._room_channels[sig].discard(channel)
                    for queue_id, step in self._targets[sig]:
                        self._open[(queue_id, step, channel)].discard(sig)

    def _signature(self, agent: Agent) -> int:
        key = (frozenset(agent.skills.items()), agent.pools)
        sig = self._sig_ids.get(key)
        if sig is None:
            sig = self._sig_ids[key] = len(self._sample)
            self._sample.append(agent)
            self._members.append(set())
            self._targets.append({})
            self._room_channels.append(set())
            for queue in self._queues.values():
                self._retarget(sig, queue)
        return sig

    def _retarget(self, sig: int, queue: Queue) -> None:
        """Which steps of ``queue`` the signature qualifies for, and the open sets that follows."""
        targets = self._targets[sig]
        for key in [key for key in targets if key[0] == queue.id]:
            del targets[key]
        sample = self._sample[sig]
        overflow = queue.overflow_active and queue.overflow is not None and qualifies(sample, queue.overflow)
        channels = self._room_channels[sig]
        for index, step in enumerate(queue.steps):
            if qualifies(sample, step) or overflow:
                targets[(queue.id, index)] = not qualifies(sample, step)
                for channel in channels:
                    self._open.setdefault((queue.id, index, channel), set()).add(sig)

    def _heap(self, sig: int, channel: str, order: Callable[[Agent], Entry]) -> list[Entry]:
        heap = self._heaps.get((sig, channel, order))
        if heap is None:  # made on first use: only the orders some queue uses are kept up
            heap = self._heaps[(sig, channel, order)] = self._build(self._room.get((sig, channel), set()), order)
        return heap

    def _build(self, agent_ids: set[int], order: Callable[[Agent], Entry]) -> list[Entry]:
        heap = [(*order(self._agents[i]), self._version[i]) for i in agent_ids]
        heapq.heapify(heap)
        return heap

    def _clean_top(self, heap: list[Entry]) -> Entry | None:
        while heap and self._version.get(heap[0][-2]) != heap[0][-1]:
            heapq.heappop(heap)
        return heap[0] if heap else None

    def _max_seq(self) -> int:
        """route_round counts offers on from the highest last_offer_seq of all current agents."""
        while self._seq and self._version.get(self._seq[0][1]) != self._seq[0][2]:
            heapq.heappop(self._seq)
        return -self._seq[0][0] if self._seq else 0


def _first(lane: list[tuple[float, int]], holds: Callable[[float], bool]) -> int:
    """The first position whose arrival time satisfies ``holds`` (false, then true, along the lane)."""
    return bisect_left(lane, True, key=lambda item: holds(item[0]))


def _not_yet(now: float, waited: float, arrived_at: float) -> bool:
    return now - arrived_at < waited


def _lane(contact: Contact) -> LaneKey:
    return (contact.queue_id, contact.channel, contact.priority_boost)


def _first_time_waited(arrived_at: float, waited: float) -> float:
    """The smallest time t with t - arrived_at >= waited, exactly as route_round subtracts."""
    at = arrived_at + waited
    while at - arrived_at < waited:
        at = math.nextafter(at, math.inf)
    while (before := math.nextafter(at, -math.inf)) - arrived_at >= waited:
        at = before
    return at
