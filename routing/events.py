"""Routing's real-time events and exactly who receives them (docs/realtime-events.md).

- ``offer.created`` / ``offer.withdrawn`` / ``offer.accepted``: the offered agent's own sockets.
- ``contact.assigned`` / ``conversation.transferred``: the conversation's group (the customer
  sees who serves them; agents following it see the change).
- ``queue.position``: the conversation's group, while the contact waits.
- ``queue.changed``: the tenant's supervisors group (staff users' sockets), for the live queue view.
- ``agent.load``: the supervisors group, when an agent's contacts in hand or ringing offers change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from agents.models import AgentState, AgentStatus
from callcenter.core.realtime import publish_many, publish_on_commit
from callcenter.core.tenancy import group_name, require_tenant
from conversations.events import conversation_group
from routing.models import Offer, RoutedContact
from routing.selectors import AgentLoad, agent_load_figures, shown_state


def _user_group(user_id: int) -> str:
    return group_name(require_tenant().pk, "user", user_id)


def offer_payload(offer: Offer, contact: RoutedContact, now: datetime) -> dict[str, Any]:
    customer = contact.customer
    return {
        "offer": offer.pk,
        "contact": contact.pk,
        "conversation": contact.conversation_id,
        "customer": {
            "id": customer.pk,
            "name": customer.display_name,
            "tier": customer.tier.code if customer.tier else None,
            "tier_name": str(customer.tier) if customer.tier else None,
        },
        "channel": contact.channel_kind,
        "media": contact.media,
        "topic": contact.facts.get("topic", ""),
        "queue": {"id": contact.queue_id, "name": str(contact.queue)},
        "waited_s": max(0, round((now - contact.arrived_at).total_seconds())),
        "expires_at": offer.expires_at.isoformat(),
        "timeout_s": round((offer.expires_at - offer.created_at).total_seconds()),
        "transfer_note": contact.transfer_note,
    }


Outbox = list[tuple[str, str, dict[str, Any]]]  # a round's events, sent together after it commits


def offer_created(offer: Offer, contact: RoutedContact, user_id: int, now: datetime, out: Outbox) -> None:
    out.append((_user_group(user_id), "offer.created", offer_payload(offer, contact, now)))


def offer_withdrawn(offer: Offer, user_id: int, reason: str) -> None:
    """``reason``: timeout, agent_unavailable, contact_ended, transferred."""
    publish_on_commit(
        _user_group(user_id),
        "offer.withdrawn",
        {"offer": offer.pk, "contact": offer.contact_id, "reason": reason},
    )


def contact_assigned(contact: RoutedContact, agent_name: str, agent_user_id: int) -> None:
    tenant = require_tenant()
    payload = {"conversation": contact.conversation_id, "contact": contact.pk, "agent_name": agent_name}
    publish_on_commit(_user_group(agent_user_id), "offer.accepted", payload)
    if contact.conversation_id:
        publish_on_commit(conversation_group(tenant.pk, contact.conversation_id), "contact.assigned", payload)


def conversation_transferred(contact: RoutedContact, to: dict[str, Any]) -> None:
    tenant = require_tenant()
    if contact.conversation_id:
        publish_on_commit(
            conversation_group(tenant.pk, contact.conversation_id),
            "conversation.transferred",
            {"conversation": contact.conversation_id, "contact": contact.pk, "to": to},
        )


def queue_position(
    conversation_id: int, queue_id: int, position: int, estimated_wait_s: int | None, out: Outbox
) -> None:
    tenant = require_tenant()
    out.append(
        (
            conversation_group(tenant.pk, conversation_id),
            "queue.position",
            {
                "conversation": conversation_id,
                "queue": queue_id,
                "position": position,
                "estimated_wait_s": estimated_wait_s,
            },
        )
    )


def queues_changed(figures: list[dict[str, Any]], out: Outbox) -> None:
    out.append((group_name(require_tenant().pk, "supervisors"), "queue.changed", {"queues": figures}))


def agent_load_changed(agent_ids: Iterable[int]) -> None:
    """``agent.load`` to supervisors for each of these agents, once the transaction commits.

    The figures are read after the commit, in three queries whatever the number of agents, so
    they are what the database holds then, never a step half way through the transaction. A
    failure to read or send them is logged (``robust``), never raised into the caller's commit.
    """
    ids = sorted(set(agent_ids))
    if not ids:
        return
    group = group_name(require_tenant().pk, "supervisors")

    def send() -> None:
        states = dict(AgentStatus.objects.filter(agent_id__in=ids).values_list("agent_id", "state"))
        figures = agent_load_figures(ids)
        publish_many(
            [(group, "agent.load", agent_load_payload(i, states.get(i, AgentState.OFFLINE), figures[i])) for i in ids]
        )

    transaction.on_commit(send, robust=True)


def agent_load_payload(agent_id: int, state: str, figures: AgentLoad) -> dict[str, Any]:
    return {
        "agent": agent_id,
        "load": figures.load,
        "ringing": figures.ringing,
        "shown_state": shown_state(state, ringing=figures.ringing, assigned=figures.assigned),
    }
