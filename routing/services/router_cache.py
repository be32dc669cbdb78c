"""One ``Router`` per tenant kept between rounds in this process, brought up to date each round.

Building a router's indexes for 1,500 agents costs more than the rest of a round. Each round
still reads the truth from the database (other processes route too); this only reconciles
the kept router with it, touching the agents, contacts and queues that differ. The router's
decisions depend on its current state alone (property-tested against ``route_round`` over
random sequences of changes), so a reconciled router decides as a fresh one would, and a
round that rolled back leaves nothing behind that the next reconciliation does not undo.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from callcenter.core.tenancy import current_schema
from routing.domain import engine
from routing.domain.router import Router

KEPT_TENANTS = 64  # the least recently routed tenant's router is dropped beyond this

_lock = threading.Lock()
_routers: OrderedDict[str, Router] = OrderedDict()


def router_reconciled(
    queues: Mapping[int, engine.Queue], agents: Iterable[engine.Agent], contacts: Iterable[engine.Contact]
) -> Router:
    """This tenant's router, holding exactly these queues, agents and waiting contacts.

    The caller holds the tenant's routing lock, so no two threads use one router at once.
    """
    schema = current_schema()
    with _lock:
        router = _routers.pop(schema, None)
    if router is None or set(router.queues) != set(queues):
        router = Router(queues)  # a queue removed: start afresh (routers add queues, never drop them)
    for queue_id, queue in queues.items():
        if router.queues.get(queue_id) != queue:
            router.set_queue(queue)
    fresh_agents = {agent.id: agent for agent in agents}
    for agent_id in [agent_id for agent_id in router.agents if agent_id not in fresh_agents]:
        router.remove_agent(agent_id)
    for agent_id, agent in fresh_agents.items():
        if router.agents.get(agent_id) != agent:
            router.upsert_agent(agent)
    fresh_contacts = {contact.id: contact for contact in contacts}
    for contact_id in [contact_id for contact_id in router.waiting if contact_id not in fresh_contacts]:
        router.remove_contact(contact_id)
    for contact_id, contact in fresh_contacts.items():
        if router.waiting.get(contact_id) != contact:
            router.add_contact(contact)
    with _lock:
        _routers[schema] = router
        while len(_routers) > KEPT_TENANTS:
            _routers.popitem(last=False)
    return router


def routers_forget() -> None:
    """Drop every kept router (tests that recreate schemas under the same name)."""
    with _lock:
        _routers.clear()
