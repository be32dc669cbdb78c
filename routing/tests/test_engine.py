"""The routing engine's invariants, as properties over generated snapshots, and the default VIP flow."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.domain.engine import VOICE, Agent, Contact, Queue, Step, Strategy, qualifies, route_round

SKILLS = ("vip", "after-sales", "logistics", "pre-sales")
CHANNELS = ("chat", VOICE)

skill_maps = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3)


@st.composite
def queues(draw: st.DrawFn) -> dict[int, Queue]:
    made = {}
    for queue_id in range(1, draw(st.integers(1, 4)) + 1):
        first = draw(skill_maps)
        relaxed = {k: v for k, v in first.items() if draw(st.booleans())}
        steps = [Step(0, first), Step(draw(st.floats(1, 120)), relaxed)]
        made[queue_id] = Queue(queue_id, draw(st.integers(0, 3)), steps, draw(st.sampled_from(list(Strategy))))
    return made


@st.composite
def agents(draw: st.DrawFn) -> list[Agent]:
    made = []
    for agent_id in range(1, draw(st.integers(0, 12)) + 1):
        capacity = {"chat": draw(st.integers(0, 3)), VOICE: draw(st.integers(0, 1))}
        load = {ch: draw(st.integers(0, capacity[ch])) for ch in CHANNELS}
        made.append(
            Agent(
                id=agent_id,
                skills=draw(skill_maps),
                pools=frozenset(draw(st.sets(st.sampled_from(("primary", "backup")), max_size=2))),
                capacity=capacity,
                load=load,
                available_since=draw(st.floats(0, 1000)),
                last_offer_seq=draw(st.integers(0, 50)),
                voice_blocks_chat=draw(st.booleans()),
            )
        )
    return made


@st.composite
def snapshots(draw: st.DrawFn) -> tuple[dict[int, Queue], list[Agent], list[Contact], float]:
    the_queues = draw(queues())
    contacts = [
        Contact(
            id=contact_id,
            queue_id=draw(st.sampled_from(sorted(the_queues))),
            channel=draw(st.sampled_from(CHANNELS)),
            arrived_at=draw(st.floats(0, 1000)),
            priority_boost=draw(st.integers(0, 2)),
        )
        for contact_id in range(1, draw(st.integers(0, 25)) + 1)
    ]
    return the_queues, draw(agents()), contacts, 1100.0


@settings(max_examples=300, deadline=None)
@given(snapshots())
def test_one_offer_per_contact_and_never_above_capacity(snapshot: tuple) -> None:
    the_queues, the_agents, contacts, now = snapshot
    offers = route_round(now=now, queues=the_queues, agents=the_agents, waiting=contacts)
    assert len({o.contact_id for o in offers}) == len(offers)
    by_id = {a.id: a for a in the_agents}
    channel_of = {c.id: c.channel for c in contacts}
    added = Counter((o.agent_id, channel_of[o.contact_id]) for o in offers)
    for (agent_id, channel), count in added.items():
        agent = by_id[agent_id]
        assert agent.load.get(channel, 0) + count <= agent.capacity.get(channel, 0)
        if agent.voice_blocks_chat:
            # A call and chats never end up together, unless the agent already had both.
            final = {ch: agent.load.get(ch, 0) + added.get((agent_id, ch), 0) for ch in CHANNELS}
            had_both = agent.load.get(VOICE, 0) > 0 and agent.load.get("chat", 0) > 0
            assert had_both or not (final[VOICE] > 0 and final["chat"] > 0)


@settings(max_examples=300, deadline=None)
@given(snapshots())
def test_contacts_with_a_live_offer_get_no_second_one(snapshot: tuple) -> None:
    the_queues, the_agents, contacts, now = snapshot
    live = frozenset(c.id for c in contacts[::2])
    offers = route_round(now=now, queues=the_queues, agents=the_agents, waiting=contacts, offered=live)
    assert not {o.contact_id for o in offers} & live


@settings(max_examples=300, deadline=None)
@given(snapshots())
def test_fairness_an_agent_never_skips_a_contact_ahead_that_it_could_take(snapshot: tuple) -> None:
    """If agent A got contact X, every contact ahead of X that A qualified for was served."""
    the_queues, the_agents, contacts, now = snapshot
    offers = route_round(now=now, queues=the_queues, agents=the_agents, waiting=contacts)
    served = {o.contact_id for o in offers}
    by_contact = {c.id: c for c in contacts}
    by_agent = {a.id: a for a in the_agents}

    def key(c: Contact) -> tuple[int, float, int]:
        return (-(the_queues[c.queue_id].priority + c.priority_boost), c.arrived_at, c.id)

    for offer in offers:
        got = by_contact[offer.contact_id]
        agent = by_agent[offer.agent_id]
        for other in contacts:
            if other.id in served or key(other) >= key(got) or other.channel != got.channel:
                continue
            _, step = the_queues[other.queue_id].step_at(now - other.arrived_at)
            assert not qualifies(agent, step), (other, got, agent)


@settings(max_examples=200, deadline=None)
@given(snapshots())
def test_the_same_snapshot_gives_the_same_offers(snapshot: tuple) -> None:
    the_queues, the_agents, contacts, now = snapshot
    first = route_round(now=now, queues=the_queues, agents=the_agents, waiting=contacts)
    again = route_round(now=now, queues=the_queues, agents=list(reversed(the_agents)), waiting=list(reversed(contacts)))
    assert first == again


def test_a_vip_return_goes_to_vip_after_sales_agents_then_relaxes() -> None:
    returns = Queue(1, priority=2, steps=[Step(0, {"vip": 1, "after-sales": 1}), Step(60, {"after-sales": 1})])
    vip_after_sales = Agent(1, {"vip": 3, "after-sales": 4}, frozenset({"primary"}), {"chat": 3}, {"chat": 3}, 10)
    after_sales = Agent(2, {"after-sales": 2}, frozenset({"primary"}), {"chat": 3}, {"chat": 0}, 5)
    contact = Contact(7, queue_id=1, channel="chat", arrived_at=100)
    # The VIP agent is full: for the first minute the contact waits rather than go elsewhere.
    assert route_round(now=130, queues={1: returns}, agents=[vip_after_sales, after_sales], waiting=[contact]) == []
    relaxed = route_round(now=161, queues={1: returns}, agents=[vip_after_sales, after_sales], waiting=[contact])
    assert [(o.agent_id, o.step) for o in relaxed] == [(2, 1)]
    assert [c.agent_id for c in relaxed[0].candidates] == [2]


def test_strategies_pick_as_documented() -> None:
    step = Step(0, {"after-sales": 1})
    a = Agent(1, {"after-sales": 5}, frozenset(), {"chat": 4}, {"chat": 3}, available_since=50, last_offer_seq=9)
    b = Agent(2, {"after-sales": 1}, frozenset(), {"chat": 4}, {"chat": 0}, available_since=80, last_offer_seq=2)
    contact = Contact(1, 1, "chat", arrived_at=0)
    picks = {
        strategy: route_round(now=1, queues={1: Queue(1, 0, [step], strategy)}, agents=[a, b], waiting=[contact])[
            0
        ].agent_id
        for strategy in Strategy
    }
    assert picks == {
        Strategy.LONGEST_AVAILABLE: 1,
        Strategy.LEAST_OCCUPIED: 2,
        Strategy.HIGHEST_PROFICIENCY: 1,
        Strategy.ROUND_ROBIN: 2,
    }


def test_overflow_lets_backup_agents_take_the_contact_only_while_active() -> None:
    primary_step = Step(0, {"after-sales": 1}, frozenset({"primary"}))
    overflow = Step(0, {"after-sales": 1}, frozenset({"backup"}))
    backup_agent = Agent(7, {"after-sales": 2}, frozenset({"backup"}), {"chat": 3}, {"chat": 0}, 0.0)
    contact = Contact(1, 1, "chat", 0.0)
    calm = {1: Queue(1, 0, [primary_step], overflow=overflow, overflow_active=False)}
    assert route_round(now=10, queues=calm, agents=[backup_agent], waiting=[contact]) == []
    busy = {1: Queue(1, 0, [primary_step], overflow=overflow, overflow_active=True)}
    (offer,) = route_round(now=10, queues=busy, agents=[backup_agent], waiting=[contact])
    assert offer.agent_id == 7 and offer.via_overflow


def test_an_agent_who_declined_is_passed_over_for_the_next() -> None:
    step = Step(0, {"after-sales": 1})
    first = Agent(1, {"after-sales": 3}, frozenset(), {"chat": 3}, {"chat": 0}, 0.0)
    second = Agent(2, {"after-sales": 3}, frozenset(), {"chat": 3}, {"chat": 0}, 5.0)
    queues = {1: Queue(1, 0, [step])}
    (offer,) = route_round(now=10, queues=queues, agents=[first, second], waiting=[Contact(1, 1, "chat", 0.0)])
    assert offer.agent_id == 1
    declined = Contact(1, 1, "chat", 0.0, excluded_agents=frozenset({1}))
    (offer,) = route_round(now=10, queues=queues, agents=[first, second], waiting=[declined])
    assert offer.agent_id == 2
