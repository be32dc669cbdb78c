"""The incremental router decides exactly as ``route_round`` does on the same state, round after round."""

from __future__ import annotations

import math
import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.domain.engine import VOICE, Agent, Contact, Offer, Queue, Step, Strategy, route_round
from routing.domain.router import Router

SKILLS = ("vip", "after-sales", "logistics")
CHANNELS = ("chat", VOICE)
POOLS = ("primary", "backup")
# Few distinct values, so that scores tie and the tie-breaks are exercised.
TIMES = st.one_of(st.sampled_from([0.0, 1.0, 2.5, 10.0]), st.floats(0, 100))

skill_maps = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 3), max_size=2)
pool_sets = st.frozensets(st.sampled_from(POOLS), max_size=2)


@st.composite
def a_queue(draw: st.DrawFn, queue_id: int) -> Queue:
    steps = [
        Step(draw(st.sampled_from([0.0, 5.0, 20.0, 60.0]) | st.floats(0, 90)), draw(skill_maps), draw(pool_sets))
        for _ in range(draw(st.integers(1, 3)))
    ]
    steps.sort(key=lambda step: step.after_s)
    if draw(st.booleans()):  # steps out of order: step_at takes the last index that applies, whatever the order
        steps.reverse()
    overflow = draw(st.none() | st.builds(Step, st.just(0.0), skill_maps, st.just(frozenset({"backup"}))))
    return Queue(
        queue_id,
        draw(st.integers(0, 2)),
        steps,
        draw(st.sampled_from(list(Strategy))),
        overflow=overflow,
        overflow_active=draw(st.booleans()),
    )


@st.composite
def an_agent(draw: st.DrawFn, agent_id: int) -> Agent:
    capacity = {"chat": draw(st.integers(0, 3)), VOICE: draw(st.integers(0, 1))}
    return Agent(
        id=agent_id,
        skills=draw(skill_maps),
        pools=draw(pool_sets),
        capacity=capacity,
        load={ch: draw(st.integers(0, capacity[ch])) for ch in CHANNELS},
        available_since=draw(TIMES),
        last_offer_seq=draw(st.integers(0, 5)),
        voice_blocks_chat=draw(st.booleans()),
    )


def a_contact(contact_id: int, queue_ids: list[int], agent_ids: list[int], now: float) -> st.SearchStrategy[Contact]:
    return st.builds(
        Contact,
        id=st.just(contact_id),
        queue_id=st.sampled_from([*queue_ids, 99]),  # 99: a queue the router does not know (yet)
        channel=st.sampled_from(CHANNELS),
        arrived_at=st.sampled_from([0.0, 1.0, 10.0, now]) | st.floats(0, now) | st.floats(now, now + 5),  # also ahead
        priority_boost=st.integers(0, 2),
        excluded_agents=st.frozensets(st.sampled_from(agent_ids or [0]), max_size=2) | st.just(frozenset()),
    )


def applied(agents: dict[int, Agent], offers: list[Offer], channel_of: dict[int, str], start_seq: int) -> None:
    """What route_round's offers do to the agents: one more contact in hand, the next counter."""
    for seq, offer in enumerate(offers, start=start_seq + 1):
        agent = agents[offer.agent_id]
        load = dict(agent.load)
        channel = channel_of[offer.contact_id]
        load[channel] = load.get(channel, 0) + 1
        agents[agent.id] = replace(agent, load=load, last_offer_seq=seq)


def route_and_compare(router: Router, now: float) -> list[Offer]:
    agents = dict(router.agents)
    waiting = dict(router.waiting)
    expected = route_round(now=now, queues=dict(router.queues), agents=list(agents.values()), waiting=waiting.values())
    start_seq = max((a.last_offer_seq for a in agents.values()), default=0)
    got = router.route(now)
    assert got == expected
    applied(agents, expected, {c.id: c.channel for c in waiting.values()}, start_seq)
    assert dict(router.agents) == agents
    assert dict(router.waiting) == {i: c for i, c in waiting.items() if i not in {o.contact_id for o in got}}
    return got


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_round_equals_route_round_on_the_same_state(data: st.DataObject) -> None:
    queues = {i: data.draw(a_queue(i)) for i in range(1, data.draw(st.integers(1, 3)) + 1)}
    router = Router(queues)
    now = 0.0
    next_id = 1
    for agent_id in range(1, data.draw(st.integers(0, 8)) + 1):
        router.upsert_agent(data.draw(an_agent(agent_id)))
    for _ in range(data.draw(st.integers(1, 25))):
        op = data.draw(st.sampled_from(["contact", "contact", "agent", "free", "agent_off", "drop", "queue", "route"]))
        if op == "contact":
            router.add_contact(data.draw(a_contact(next_id, list(queues), list(router.agents), now)))
            next_id += 1
        elif op == "agent":
            router.upsert_agent(data.draw(an_agent(data.draw(st.integers(1, 10)))))
        elif op == "free" and router.agents:  # a contact ends: one less in hand, available from now
            agent = router.agent(data.draw(st.sampled_from(sorted(router.agents))))
            channel = data.draw(st.sampled_from(CHANNELS))
            load = {**agent.load, channel: max(0, agent.load.get(channel, 0) - 1)}
            router.upsert_agent(replace(agent, load=load, available_since=data.draw(st.sampled_from([now, 0.0]))))
        elif op == "agent_off" and router.agents:
            router.remove_agent(data.draw(st.sampled_from(sorted(router.agents))))
        elif op == "drop" and router.waiting:
            router.remove_contact(data.draw(st.sampled_from(sorted(router.waiting))))
        elif op == "queue":
            queue_id = data.draw(st.sampled_from([*queues, 99]))
            old = router.queues.get(queue_id)
            if old is not None and data.draw(st.booleans()):
                router.set_queue(replace(old, overflow_active=not old.overflow_active))
            else:
                router.set_queue(data.draw(a_queue(queue_id)))
        elif op == "route":
            now += data.draw(st.sampled_from([0.0, 5.0, 20.0]) | st.floats(0, 40))
            route_and_compare(router, now)
    route_and_compare(router, now + 1)


def _random_state(rng: random.Random, agents: int, contacts: int) -> tuple[Router, list[Agent], list[Contact]]:
    templates = [
        ({"after-sales": 1}, {"primary"}),
        ({"after-sales": 2, "vip": 1}, {"primary"}),
        ({"logistics": 3}, {"primary"}),
        ({"after-sales": 1, "logistics": 1}, {"backup"}),
        ({"vip": 2}, {"primary", "backup"}),
    ]
    queues = {
        1: Queue(1, 1, [Step(0, {"after-sales": 2}), Step(30, {"after-sales": 1})], Strategy.LONGEST_AVAILABLE),
        2: Queue(2, 0, [Step(0, {"logistics": 2})], Strategy.LEAST_OCCUPIED, Step(0, {}, frozenset({"backup"})), True),
        3: Queue(3, 2, [Step(0, {"vip": 1}, frozenset({"primary"})), Step(20, {})], Strategy.HIGHEST_PROFICIENCY),
        4: Queue(4, 0, [Step(0, {"after-sales": 1})], Strategy.ROUND_ROBIN),
    }
    router = Router(queues)
    people = []
    for agent_id in range(1, agents + 1):
        skills, pools = rng.choice(templates)
        capacity = {"chat": rng.randint(1, 3), VOICE: rng.randint(0, 1)}
        people.append(
            Agent(
                agent_id,
                skills,
                frozenset(pools),
                capacity,
                {"chat": rng.randint(0, capacity["chat"]), VOICE: 0},
                available_since=float(rng.randint(0, 20)),
                last_offer_seq=rng.randint(0, 3),
            )
        )
    waiting = [
        Contact(i, rng.randint(1, 4), rng.choice(["chat", "chat", VOICE]), float(rng.randint(0, 60)), rng.randint(0, 1))
        for i in range(1, contacts + 1)
    ]
    return router, people, waiting


def test_busy_rounds_with_many_candidates_equal_route_round() -> None:
    """More than 20 candidates per contact, several signatures per step, rounds that fill everybody."""
    for seed in range(15):
        rng = random.Random(seed)
        router, people, waiting = _random_state(rng, agents=60, contacts=120)
        for agent in people:
            router.upsert_agent(agent)
        for contact in waiting[:60]:
            router.add_contact(contact)
        now = 60.0
        assert route_and_compare(router, now)
        for contact in waiting[60:]:
            router.add_contact(contact)
            if contact.id % 7 == 0:  # a few contacts end meanwhile
                agent = router.agent(rng.choice(sorted(router.agents)))
                router.upsert_agent(replace(agent, load={"chat": 0, VOICE: 0}, available_since=now))
            if contact.id % 5 == 0:
                now += rng.choice([0.5, 10.0, 25.0])
                route_and_compare(router, now)
        route_and_compare(router, now + 100)


def test_a_free_agent_takes_the_first_contact_it_qualifies_for() -> None:
    queues = {1: Queue(1, 0, [Step(0, {"vip": 1})]), 2: Queue(2, 1, [Step(0, {"after-sales": 1})])}
    router = Router(queues)
    busy = Agent(1, {"vip": 1, "after-sales": 1}, frozenset(), {"chat": 1}, {"chat": 1}, 0.0)
    router.upsert_agent(busy)
    for contact in (Contact(1, 1, "chat", 0.0), Contact(2, 2, "chat", 5.0), Contact(3, 2, "chat", 1.0)):
        router.add_contact(contact)
    assert router.route(10) == []
    router.upsert_agent(replace(busy, load={"chat": 0}, available_since=10))
    (offer,) = router.route(11)
    assert (offer.contact_id, offer.agent_id) == (3, 1)  # queue 2's priority, then the earlier arrival
    assert router.agent(1).load == {"chat": 1} and router.agent(1).last_offer_seq == 1
    assert sorted(router.waiting) == [1, 2] and router.waiting_in(2) == 1


# -- next_change_at ----------------------------------------------------------------------------

RELAXING = Queue(1, 0, [Step(0, {"vip": 1}), Step(30, {"after-sales": 1}), Step(60, {})])


def test_next_change_is_when_the_longest_waiting_reaches_the_next_step() -> None:
    router = Router({1: RELAXING})
    assert router.next_change_at(0) is None
    router.add_contact(Contact(1, 1, "chat", arrived_at=100))
    router.add_contact(Contact(2, 1, "chat", arrived_at=110))
    assert router.next_change_at(105) == 130
    assert router.next_change_at(130) == 140  # contact 1 is at step 1 from 130 on; contact 2 gets there at 140
    assert router.next_change_at(150) == 160
    assert router.next_change_at(165) == 170
    assert router.next_change_at(170) is None  # both at the last step


def test_next_change_covers_every_lane_and_skips_unknown_queues() -> None:
    other = Queue(2, 0, [Step(0, {}), Step(10, {"vip": 1})])
    router = Router({1: RELAXING, 2: other})
    router.add_contact(Contact(1, 1, VOICE, arrived_at=0, priority_boost=1))
    router.add_contact(Contact(2, 2, "chat", arrived_at=15))
    router.add_contact(Contact(3, 7, "chat", arrived_at=14))  # queue 7 is unknown: never routed, no timer
    assert router.next_change_at(20) == 25
    router.remove_contact(2)
    assert router.next_change_at(20) == 30


def test_next_change_ignores_steps_that_do_not_change_the_step() -> None:
    # step_at takes the last index that applies: from 30 s on that is index 2, and at 60 s still 2.
    shuffled = Queue(1, 0, [Step(0, {"vip": 1}), Step(60, {"vip": 2}), Step(30, {})])
    router = Router({1: shuffled})
    router.add_contact(Contact(1, 1, "chat", arrived_at=0))
    assert router.next_change_at(10) == 30
    assert router.next_change_at(40) is None


def test_next_change_is_exact_where_the_sum_is_not() -> None:
    """0.1 + 0.2 > 0.3 in floats: the timer must not fire before route_round sees the new step."""
    queue = Queue(1, 0, [Step(0, {"vip": 1}), Step(0.2, {})])
    router = Router({1: queue})
    router.add_contact(Contact(1, 1, "chat", arrived_at=0.1))
    at = router.next_change_at(0.1)
    assert at is not None
    assert queue.step_at(at - 0.1)[0] == 1
    assert queue.step_at(math.nextafter(at, -math.inf) - 0.1)[0] == 0


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_no_contact_changes_step_before_the_next_change(data: st.DataObject) -> None:
    queues = {i: data.draw(a_queue(i)) for i in (1, 2)}
    router = Router(queues)
    now = data.draw(st.floats(0, 200))
    for contact_id in range(1, data.draw(st.integers(0, 10)) + 1):
        router.add_contact(data.draw(a_contact(contact_id, [1, 2], [], now)))
    routed = [c for c in router.waiting.values() if c.queue_id in queues]

    def steps(at: float) -> list[int]:
        return [queues[c.queue_id].step_at(at - c.arrived_at)[0] for c in routed]

    at = router.next_change_at(now)
    if at is None:
        assert steps(now) == steps(1e9)
    else:
        assert at > now
        assert steps(math.nextafter(at, -math.inf)) == steps(now) != steps(at)
