"""A routing round: the database's state in, the engine's offers out, stored and announced."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils import timezone

from agents.models import AgentStatus
from callcenter.core.realtime import publish_many_on_commit
from routing import events
from routing.domain import engine
from routing.domain.overflow import OverflowPolicy, QueueLoad, overflow_next
from routing.domain.router import Router
from routing.models import ContactStatus, Offer, Queue, RoutedContact
from routing.selectors import (
    AgentFacts,
    answered_per_queue_recently,
    available_agents,
    engine_contact,
    engine_queue,
    queue_figures,
    queues_with_steps,
    ts,
    waiting_contacts,
)
from routing.services.contacts import contacts_enqueue_new
from routing.services.lock import routing_lock, routing_lock_try
from routing.services.router_cache import router_reconciled
from routing.services.triggers import is_dirty, mark_dirty, request_round, request_round_at, take_dirty

log = structlog.get_logger(__name__)

POSITIONS_PUBLISHED_PER_QUEUE = 100  # beyond that a customer keeps the last position shown
RECENT_WINDOW_S = 900  # wait estimates from the answer rate of the last 15 minutes


def _overflow_update(queue: Queue, spec: engine.Queue, router: Router, now: datetime) -> engine.Queue:
    """Switch the queue's overflow on or off (with hysteresis) from the router's view of its agents."""
    if spec.overflow is None:
        return spec
    ready, with_room = router.staffing(spec.steps, ("chat", engine.VOICE))
    load = QueueLoad(waiting=router.waiting_in(queue.pk), primary_ready=ready, primary_with_room=with_room)
    policy = OverflowPolicy(
        on_ratio=float(queue.overflow_on_ratio),
        off_ratio=float(min(queue.overflow_off_ratio, queue.overflow_on_ratio)),
        min_hold_s=float(queue.overflow_hold_seconds),
    )
    changed_at = ts(queue.overflow_changed_at) if queue.overflow_changed_at else float("-inf")
    active = overflow_next(active=queue.overflow_active, changed_at=changed_at, now=ts(now), load=load, policy=policy)
    if active == queue.overflow_active:
        return spec
    queue.overflow_active, queue.overflow_changed_at = active, now
    queue.save(update_fields=["overflow_active", "overflow_changed_at"])
    log.info("routing.overflow_switched", queue=queue.pk, active=active, waiting=load.waiting, ready=ready)
    return replace(spec, overflow_active=active)


def _decision(offer: engine.Offer, spec: engine.Queue, names: dict[int, str]) -> dict[str, Any]:
    step = spec.steps[offer.step]
    return {
        "step": offer.step,
        "step_skills": dict(step.skills),
        "step_pools": sorted(step.pools),
        "via_overflow": offer.via_overflow,
        "strategy": offer.strategy.value,
        "candidates": [
            {"agent": c.agent_id, "name": names.get(c.agent_id, ""), "score": list(c.score)} for c in offer.candidates
        ],
        "chosen": offer.agent_id,
    }


def _direct_offers(
    direct: list[RoutedContact], agents: dict[int, AgentFacts]
) -> list[tuple[RoutedContact, int, dict[str, Any]]]:
    """Contacts transferred to a named agent go to that agent only, when it has room."""
    made = []
    for contact in direct:
        facts = agents.get(contact.target_agent_id or 0)
        if facts is None or not facts.agent.has_room(contact.media):
            continue
        load = dict(facts.agent.load)
        load[contact.media] = load.get(contact.media, 0) + 1
        agents[facts.agent.id] = replace(facts, agent=replace(facts.agent, load=load))
        made.append((contact, facts.agent.id, {"transfer_to_agent": facts.agent.id, "chosen": facts.agent.id}))
    return made


def routing_rounds_coalesced() -> int:
    """Rounds until nothing changed while the last one ran, by whoever holds the routing lock.

    Called for every new contact: in a burst, a contact arriving while a round runs does not
    wait to run its own; it marks the state dirty and the running one goes round once more.
    The mark is set before trying the lock and checked after releasing it, so no change is
    left without a round. Returns the offers made by this caller.
    """
    if not mark_dirty():
        return len(routing_round())
    made = 0
    while True:
        offers = _round(now=None, wait=False)
        if offers is None:
            # A round holding the lock clears the mark after us or sees it when it releases the
            # lock; another writer (an accept) does not look, so a round is asked for as well.
            request_round()
            return made
        made += len(offers)
        if not is_dirty():
            return made


def routing_round(*, now: datetime | None = None) -> list[Offer]:
    """Offer every waiting contact that can be matched now. Returns the offers made."""
    made = _round(now=now, wait=True)
    assert made is not None
    return made


def _round(*, now: datetime | None, wait: bool) -> list[Offer] | None:
    with transaction.atomic():
        if wait:
            routing_lock()
        elif not routing_lock_try():
            return None
        take_dirty()  # under the lock, before reading: what changed up to now, this round sees
        now = now or timezone.now()
        contacts_enqueue_new(now=now)
        waiting = waiting_contacts()
        if not waiting:
            return []
        queue_rows = {queue.pk: queue for queue in queues_with_steps()}
        specs = {pk: spec for pk, queue in queue_rows.items() if (spec := engine_queue(queue)) is not None}
        agents = available_agents()
        chosen = _direct_offers([c for c in waiting if c.target_agent_id], agents)
        # route_round's decisions, indexed: fast with thousands of agents, and kept between rounds.
        router = router_reconciled(
            specs,
            (facts.agent for facts in agents.values()),
            (engine_contact(c) for c in waiting if not c.target_agent_id and c.queue_id in specs),
        )
        for pk, spec in list(specs.items()):
            specs[pk] = _overflow_update(queue_rows[pk], spec, router, now)
            if specs[pk] is not spec:
                router.set_queue(specs[pk])
        by_id = {contact.pk: contact for contact in waiting}
        names = {agent_id: facts.name for agent_id, facts in agents.items()}
        for offer in router.route(ts(now)):
            chosen.append((by_id[offer.contact_id], offer.agent_id, _decision(offer, specs[offer.queue_id], names)))
        out: events.Outbox = []
        made = _store_offers(chosen, agents, queue_rows, now, out)
        _publish_positions(waiting, made, specs, now, out)
        publish_many_on_commit(out)
        next_step_at = router.next_change_at(ts(now))
        if next_step_at is not None:
            request_round_at(next_step_at, ts(now))
    return made


def _store_offers(
    chosen: list[tuple[RoutedContact, int, dict[str, Any]]],
    agents: dict[int, AgentFacts],
    queues: dict[int, Queue],
    now: datetime,
    out: events.Outbox,
) -> list[Offer]:
    if not chosen:
        return []
    seq = max((facts.agent.last_offer_seq for facts in agents.values()), default=0)
    contacts = [contact for contact, _agent_id, _decision in chosen]
    prefetch_related_objects(contacts, "customer__tier")  # the offers' payloads name the customer
    offers, agent_seqs = [], {}
    for contact, agent_id, decision in chosen:
        queue = queues[contact.queue_id]
        seq += 1
        agent_seqs[agent_id] = seq
        offers.append(
            Offer(
                contact=contact,
                agent_id=agent_id,
                media=contact.media,
                created_at=now,
                expires_at=now + timedelta(seconds=queue.offer_timeout_seconds),
                decision=decision,
            )
        )
        contact.status, contact.offers_made, contact.queue = ContactStatus.OFFERED, contact.offers_made + 1, queue
    Offer.objects.bulk_create(offers)
    RoutedContact.objects.bulk_update(contacts, ["status", "offers_made"])
    AgentStatus.objects.bulk_update(
        [AgentStatus(agent_id=agent_id, last_offer_seq=seq) for agent_id, seq in agent_seqs.items()],
        ["last_offer_seq"],
    )
    for offer, (contact, agent_id, _decision) in zip(offers, chosen, strict=True):
        events.offer_created(offer, contact, agents[agent_id].user_id, now, out)
        _schedule_expiry(offer.pk, queues[contact.queue_id].offer_timeout_seconds)
    events.agent_load_changed(agent_seqs)  # once per agent offered, however many offers it got
    log.info("routing.offers_made", count=len(offers))
    return offers


def _schedule_expiry(offer_id: int, seconds: int) -> None:
    def send() -> None:
        from routing.tasks import expire_offer

        expire_offer.apply_async(kwargs={"offer_id": offer_id}, countdown=seconds)

    transaction.on_commit(send)


def _publish_positions(
    waiting: list[RoutedContact], made: list[Offer], specs: dict[int, engine.Queue], now: datetime, out: events.Outbox
) -> None:
    """Tell each customer still waiting their new place in line and a wait estimate, when it changed."""
    offered = {offer.contact_id for offer in made}
    lines: dict[int, list[RoutedContact]] = defaultdict(list)
    for contact in waiting:
        if contact.pk not in offered and contact.conversation_id:
            lines[contact.queue_id].append(contact)
    answered: dict[int, int] | None = None
    changed = []
    for queue_id, line in lines.items():
        priority = specs[queue_id].priority if queue_id in specs else 0
        line.sort(key=lambda c: (-(priority + c.priority_boost), c.arrived_at, c.pk))
        for position, contact in enumerate(line[:POSITIONS_PUBLISHED_PER_QUEUE], start=1):
            if contact.last_position == position:
                continue
            if answered is None:
                answered = answered_per_queue_recently(now, RECENT_WINDOW_S)
            rate_per_s = answered.get(queue_id, 0) / RECENT_WINDOW_S
            estimate = round(position / rate_per_s) if rate_per_s else None
            events.queue_position(contact.conversation_id or 0, queue_id, position, estimate, out)
            contact.last_position = position
            changed.append(contact)
    if changed:
        RoutedContact.objects.bulk_update(changed, ["last_position"])
    if changed or made:
        events.queues_changed(queue_figures(now), out)
