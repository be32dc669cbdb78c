"""Reads for routing: the engine's snapshot from the database, queue figures, an agent's offers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from agents.models import AgentState, AgentStatus
from agents.profile_cache import agent_profiles
from routing.domain import engine
from routing.domain.requirements import RequirementError, parse_requirements
from routing.models import ContactStatus, Offer, OfferStatus, Queue, RoutedContact

log = structlog.get_logger(__name__)

VOICE_CHANNELS = frozenset({"phone"})


def media_of(channel_kind: str) -> str:
    """The capacity a channel uses: calls use voice, everything else is a chat."""
    return engine.VOICE if channel_kind in VOICE_CHANNELS else "chat"


def ts(moment: datetime) -> float:
    return moment.timestamp()


def _requirements(text: str, where: str) -> dict[str, int] | None:
    try:
        return parse_requirements(text)
    except RequirementError:
        # The admin form refuses these; a row written another way must not stop routing.
        log.error("routing.bad_requirement", where=where, text=text)
        return None


def _pools(rows: Any) -> frozenset[str]:
    return frozenset(pool.code for pool in rows.all())


def engine_queue(queue: Queue) -> engine.Queue | None:
    steps = []
    for step in queue.steps.all():
        skills = _requirements(step.skills, f"queue {queue.pk} step {step.pk}")
        if skills is None:
            return None
        steps.append(engine.Step(float(step.after_seconds), skills, _pools(step.pools)))
    if not steps or steps[0].after_s > 0:
        steps.insert(0, engine.Step(0.0, {}))  # a queue without a first step takes any agent
    overflow = None
    overflow_pools = _pools(queue.overflow_pools)
    if overflow_pools or queue.overflow_skills.strip():
        skills = _requirements(queue.overflow_skills, f"queue {queue.pk} overflow")
        overflow = engine.Step(0.0, skills or {}, overflow_pools) if skills is not None else None
    return engine.Queue(
        id=queue.pk,
        priority=queue.priority,
        steps=steps,
        strategy=engine.Strategy(queue.strategy),
        overflow=overflow,
        overflow_active=queue.overflow_active,
    )


def queues_with_steps() -> QuerySet[Queue]:
    return Queue.objects.prefetch_related("steps__pools", "overflow_pools")


@dataclass(frozen=True)
class AgentFacts:
    agent: engine.Agent
    user_id: int
    name: str


def agent_loads(agent_ids: list[int] | None = None, *, available_only: bool = False) -> dict[int, dict[str, int]]:
    """Contacts in hand per agent and media: assigned ones and ringing offers."""
    loads: dict[int, dict[str, int]] = defaultdict(dict)
    contacts = RoutedContact.objects.filter(status=ContactStatus.ASSIGNED)
    offers = Offer.objects.filter(status=OfferStatus.RINGING)
    if agent_ids is not None:
        contacts, offers = contacts.filter(agent_id__in=agent_ids), offers.filter(agent_id__in=agent_ids)
    if available_only:  # a join, not a list of thousands of ids
        contacts = contacts.filter(agent__status__state=AgentState.AVAILABLE)
        offers = offers.filter(agent__status__state=AgentState.AVAILABLE)
    for agent_id, media, count, _ringing in _counted(contacts, offers):
        loads[agent_id][media] = loads[agent_id].get(media, 0) + count
    return loads


def _counted(contacts: QuerySet[RoutedContact], offers: QuerySet[Offer]) -> Iterator[tuple[int, str, int, bool]]:
    """(agent, media, how many, whether they are ringing offers): one grouped query for each."""
    for rows, ringing in ((contacts, False), (offers, True)):
        for row in rows.values("agent_id", "media").annotate(n=Count("id")):
            yield row["agent_id"], row["media"], row["n"], ringing


def shown_state(state: str, *, ringing: int, assigned: int) -> str:
    """What supervisors and the agent see: an available agent with an offer ringing is
    ``reserved``, with contacts in hand ``busy``. Neither is stored, so neither goes stale."""
    if state == AgentState.AVAILABLE and ringing:
        return "reserved"
    if state == AgentState.AVAILABLE and assigned:
        return "busy"
    return state


@dataclass(frozen=True)
class AgentLoad:
    load: dict[str, int]  # contacts in hand plus ringing offers, per media
    ringing: int

    @property
    def assigned(self) -> int:
        return sum(self.load.values()) - self.ringing


def agent_load_figures(agent_ids: list[int]) -> dict[int, AgentLoad]:
    """``agent_loads`` with the ringing offers counted apart, for many agents in two queries."""
    loads: dict[int, dict[str, int]] = {agent_id: {} for agent_id in agent_ids}
    ringing = dict.fromkeys(agent_ids, 0)
    contacts = RoutedContact.objects.filter(status=ContactStatus.ASSIGNED, agent_id__in=agent_ids)
    offers = Offer.objects.filter(status=OfferStatus.RINGING, agent_id__in=agent_ids)
    for agent_id, media, count, are_offers in _counted(contacts, offers):
        loads[agent_id][media] = loads[agent_id].get(media, 0) + count
        if are_offers:
            ringing[agent_id] += count
    return {agent_id: AgentLoad(loads[agent_id], ringing[agent_id]) for agent_id in agent_ids}


def available_agents() -> dict[int, AgentFacts]:
    """The agents routing may offer to now, with their skills, pools, capacity and load.

    Runs on every round for up to thousands of agents: the agents' skills and pools come from
    the per-process cache (agents.profile_cache); only states and loads are read each time.
    """
    profiles = agent_profiles()
    rows = AgentStatus.objects.filter(state=AgentState.AVAILABLE, agent__is_active=True).values_list(
        "agent_id", "available_since", "last_offer_seq"
    )
    loads = agent_loads(available_only=True)
    facts = {}
    for agent_id, since, seq in rows:
        profile = profiles.get(agent_id)
        if profile is None:  # made a moment ago, after the cache's version was read
            continue
        facts[agent_id] = AgentFacts(
            engine.Agent(
                id=agent_id,
                skills=profile.skills,
                pools=profile.pools,
                capacity=profile.capacity,
                load=loads.get(agent_id, {}),
                available_since=ts(since),
                last_offer_seq=seq,
                voice_blocks_chat=profile.voice_blocks_chat,
            ),
            profile.user_id,
            profile.name,
        )
    return facts


def waiting_contacts() -> list[RoutedContact]:
    return list(RoutedContact.objects.filter(status=ContactStatus.WAITING).order_by("arrived_at", "id"))


def engine_contact(contact: RoutedContact) -> engine.Contact:
    return engine.Contact(
        id=contact.pk,
        queue_id=contact.queue_id,
        channel=contact.media,
        arrived_at=ts(contact.arrived_at),
        priority_boost=contact.priority_boost,
        excluded_agents=frozenset(contact.declined_by),
    )


def answered_per_queue_recently(now: datetime, window_s: int) -> dict[int, int]:
    since = now - timedelta(seconds=window_s)
    rows = RoutedContact.objects.filter(assigned_at__gte=since).values("queue_id").annotate(n=Count("id"))
    return {row["queue_id"]: row["n"] for row in rows}


def offers_ringing_for(user: Any) -> QuerySet[Offer]:
    return (
        Offer.objects.filter(agent__user=user, status=OfferStatus.RINGING)
        .select_related("contact__queue", "contact__customer__tier")
        .order_by("created_at")
    )


def queue_figures(now: datetime | None = None) -> list[dict[str, Any]]:
    """Per queue: contacts waiting and ringing, the longest wait, and whether it overflows. For supervisors."""
    now = now or timezone.now()
    rows = {
        row["queue_id"]: row
        for row in RoutedContact.objects.filter(status__in=[ContactStatus.WAITING, ContactStatus.OFFERED])
        .values("queue_id")
        .annotate(
            waiting=Count("id", filter=Q(status=ContactStatus.WAITING)),
            offered=Count("id", filter=Q(status=ContactStatus.OFFERED)),
            first=Min("arrived_at"),
        )
    }
    figures = []
    for queue in Queue.objects.order_by("-priority", "code"):
        row = rows.get(queue.pk, {})
        first = row.get("first")
        figures.append(
            {
                "queue": queue.pk,
                "code": queue.code,
                "name": str(queue),
                "waiting": row.get("waiting", 0),
                "offered": row.get("offered", 0),
                "longest_wait_s": max(0, round((now - first).total_seconds())) if first else 0,
                "overflowing": queue.overflow_active,
            }
        )
    return figures
