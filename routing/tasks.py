"""Routing's tasks, on the ``routing`` queue. Each takes ids, is safe to run twice, and leaves
nothing lost if it dies half-way: the per-tenant sweep finds what a lost task left behind."""

from __future__ import annotations

from celery import shared_task

from callcenter.core.tasks import TenantOnlyTask


@shared_task(name="routing.tasks.contact_arrived", base=TenantOnlyTask)
def contact_arrived(conversation_id: int) -> int:
    """A new conversation: a round at once (the contact-to-offer path), which puts it in its queue
    and offers it; unless a round is running, which will go round once more for it. In a burst,
    one round serves every contact that arrived while the one before it ran."""
    from routing.services.rounds import routing_rounds_coalesced

    return routing_rounds_coalesced()  # the round enqueues every new conversation, this one included


@shared_task(name="routing.tasks.contact_ended", base=TenantOnlyTask)
def contact_ended(conversation_id: int) -> None:
    from routing.services.contacts import contact_end

    contact_end(conversation_id=conversation_id)


@shared_task(name="routing.tasks.route", base=TenantOnlyTask)
def route() -> int:
    from routing.services.rounds import routing_round
    from routing.services.triggers import clear_round_request

    clear_round_request()  # before reading: a change after this asks for another round
    return len(routing_round())


@shared_task(name="routing.tasks.expire_offer", base=TenantOnlyTask)
def expire_offer(offer_id: int) -> bool:
    from routing.services.offers import offer_expire

    return offer_expire(offer_id=offer_id)


@shared_task(name="routing.tasks.check_presence", base=TenantOnlyTask)
def check_presence(agent_id: int) -> bool:
    from routing.services.presence import agent_presence_check

    return agent_presence_check(agent_id=agent_id)


@shared_task(name="routing.tasks.end_after_work", base=TenantOnlyTask)
def end_after_work(agent_id: int) -> int:
    from routing.services.presence import after_work_end

    return after_work_end(agent_id=agent_id)


@shared_task(name="routing.tasks.sweep", base=TenantOnlyTask, ignore_result=True)
def sweep() -> dict[str, int]:
    """Every few seconds per tenant: what timers may have missed, then a round."""
    from routing.services.sweep import routing_sweep

    return routing_sweep()
