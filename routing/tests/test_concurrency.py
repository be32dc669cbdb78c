"""Several routing workers at once: never two live offers for a contact, never above capacity,
and contacts survive a worker that dies half-way."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import connections
from django_tenants.utils import tenant_context

from agents.models import AgentProfile
from callcenter.core.testing import make_tenant
from routing.models import ContactStatus, Offer, OfferStatus, RoutedContact
from routing.selectors import agent_loads
from routing.services import rounds
from routing.services.rounds import routing_round
from routing.tests.factories import agent, customer_writes
from tenants.models import Tenant


@pytest.fixture
def shop(platform: None) -> Iterator[Tenant]:
    tenant = make_tenant("shop-busy")
    with tenant_context(tenant):
        yield tenant


def _rounds_at_once(tenant: Tenant, workers: int) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work() -> None:
        try:
            with tenant_context(tenant):
                start.wait()
                for _ in range(3):
                    routing_round()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_four_workers_routing_at_once_make_one_offer_per_contact_within_capacity(shop: Tenant) -> None:
    for n in range(6):
        agent(f"agent-{n}", {"after-sales": 1 + n % 5}, chats=2)
    for n in range(20):
        customer_writes(f"我要退货 {n}")
    assert _rounds_at_once(shop, 4) == []
    ringing = Offer.objects.filter(status=OfferStatus.RINGING)
    assert ringing.count() == 12  # six agents, two chats each
    assert max(Counter(ringing.values_list("contact_id", flat=True)).values()) == 1
    capacity = dict(AgentProfile.objects.values_list("pk", "chat_capacity"))
    for agent_id, load in agent_loads().items():
        assert load.get("chat", 0) <= capacity[agent_id]
    assert RoutedContact.objects.filter(status=ContactStatus.WAITING).count() == 8


def test_a_round_that_dies_half_way_loses_no_contact(shop: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    agent("steady", {"after-sales": 3})
    customer_writes("退货")

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(rounds, "_publish_positions", crash)
    with pytest.raises(RuntimeError):
        routing_round()
    # The round's transaction rolled back: no offer, the contact still waits, durable in the database.
    assert not Offer.objects.exists()
    assert RoutedContact.objects.get().status == ContactStatus.WAITING
    monkeypatch.undo()
    (offer,) = routing_round()
    assert offer.contact.status == ContactStatus.OFFERED


def test_a_contact_arriving_while_the_lock_is_held_is_left_to_the_holder_and_a_round_is_asked_for(
    shop: Tenant,
) -> None:
    from django.db import transaction

    from callcenter.core.throttle import redis_client
    from routing.services.lock import routing_lock
    from routing.services.rounds import routing_rounds_coalesced
    from routing.services.triggers import is_dirty, pending_key

    agent("ready", {"after-sales": 3})
    customer_writes("退货")
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with tenant_context(shop), transaction.atomic():
            routing_lock()  # an accept, say: not a round, so it will not look at the mark
            held.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    try:
        assert routing_rounds_coalesced() == 0  # does not wait behind the lock
        assert is_dirty() and redis_client().exists(pending_key(shop.schema_name))
    finally:
        release.set()
        holder.join(10)
    assert routing_rounds_coalesced() == 1 and not is_dirty()


def test_agents_routing_facts_are_cached_until_an_agent_changes(shop: Tenant) -> None:
    from agents.profile_cache import agent_profiles
    from agents.services.agents import agent_skills_set

    helper = agent("cached", {"after-sales": 2})
    first = agent_profiles()
    assert agent_profiles() is first  # nothing changed: the same copy
    agent_skills_set(agent=helper, skills={"after-sales": 5, "vip": 1})
    assert agent_profiles()[helper.pk].skills == {"after-sales": 5, "vip": 1}
