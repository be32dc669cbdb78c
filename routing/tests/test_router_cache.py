"""A router kept between rounds and reconciled with each round's snapshot decides as a fresh one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.domain.engine import Agent, Contact, Queue, route_round
from routing.services.router_cache import router_reconciled, routers_forget
from routing.tests.test_router import a_contact, a_queue, an_agent


@st.composite
def snapshots(draw: st.DrawFn, now: float) -> tuple[dict[int, Queue], list[Agent], list[Contact]]:
    queue_ids = sorted(draw(st.sets(st.integers(1, 3), min_size=1, max_size=3)))
    queues = {queue_id: draw(a_queue(queue_id)) for queue_id in queue_ids}
    agents = [draw(an_agent(agent_id)) for agent_id in draw(st.sets(st.integers(1, 8), max_size=6))]
    contact_ids = draw(st.sets(st.integers(1, 12), max_size=8))
    agent_ids = [agent.id for agent in agents]
    contacts = [draw(a_contact(cid, queue_ids, agent_ids, now)) for cid in sorted(contact_ids)]
    return queues, agents, [c for c in contacts if c.queue_id in queues]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_rounds_on_a_kept_router_equal_route_round_on_each_snapshot(data: st.DataObject) -> None:
    routers_forget()
    for round_no in range(4):  # successive, unrelated snapshots: the worst case for reconciliation
        now = 100.0 + 10 * round_no
        queues, agents, contacts = data.draw(snapshots(now))
        expected = route_round(now=now, queues=queues, agents=agents, waiting=contacts)
        got = router_reconciled(queues, agents, contacts).route(now)
        assert got == expected
