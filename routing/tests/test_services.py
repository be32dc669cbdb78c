"""Routing against the database: rules to queues, offers, accept/decline/timeout, capacity,
states, after-contact work, transfers, overflow and the sweep."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from agents.models import AgentState, AgentStatus
from agents.presence import presence_beat
from callcenter.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from callcenter.core.testing import make_tenant
from conversations.models import Conversation
from conversations.services import conversation_resolve, inbound_message_receive
from customers.services.identity import Contact
from routing.models import ContactStatus, Offer, OfferStatus, Queue, RoutedContact
from routing.services.contacts import contact_end, contact_transfer
from routing.services.offers import offer_accept, offer_decline, offer_expire
from routing.services.presence import after_work_end, agent_state_change
from routing.services.rounds import routing_round
from routing.services.sweep import routing_sweep
from routing.tests.factories import agent, customer_writes, user_of, widget_channel
from tenants.models import Tenant


@pytest.fixture
def shop(platform: None) -> Iterator[Tenant]:
    tenant = make_tenant("shop-route")
    with tenant_context(tenant):
        yield tenant


def test_a_vip_return_goes_first_to_an_agent_with_vip_and_after_sales_then_relaxes(shop: object) -> None:
    vip_agent = agent("vip-agent", {"vip": 4, "after-sales": 4}, chats=1)
    plain = agent("plain-agent", {"after-sales": 3})
    contact = customer_writes("你好，我想退货，尺码不合适", tier="vip")
    assert contact.queue.code == "vip-after-sales" and contact.priority_boost == 10
    assert contact.explanation["routing"]["rule"]["name"].startswith("VIP")

    (offer,) = routing_round()
    assert offer.agent == vip_agent and offer.decision["step"] == 0
    offer_accept(offer_id=offer.pk, user=user_of(vip_agent))

    # The VIP agent is full (one chat); a second VIP return waits for it, not for the plain agent...
    second = customer_writes("我要换货", tier="vip")
    assert routing_round() == []
    # ...until the queue's one-minute relax step, when any after-sales agent will do.
    (relaxed,) = routing_round(now=second.arrived_at + timedelta(seconds=61))
    assert relaxed.agent == plain and relaxed.decision["step"] == 1
    assert [c["agent"] for c in relaxed.decision["candidates"]] == [plain.pk]


def test_no_rule_matched_goes_to_the_default_queue_and_any_agent(shop: object) -> None:
    helper = agent("helper", {"pre-sales": 2})
    contact = customer_writes("在吗")
    assert contact.queue.is_default and contact.rule is None
    (offer,) = routing_round()
    assert offer.agent == helper


def test_an_agent_never_gets_more_than_its_capacity(shop: object) -> None:
    only = agent("only", {"after-sales": 3}, chats=2)
    for _ in range(4):
        customer_writes("退款什么时候到")
    offers = routing_round()
    assert len(offers) == 2 and {o.agent_id for o in offers} == {only.pk}
    assert routing_round() == []  # ringing offers count as load
    assert RoutedContact.objects.filter(status=ContactStatus.WAITING).count() == 2


def test_decline_moves_the_contact_to_the_next_agent_not_back_to_the_decliner(shop: object) -> None:
    first = agent("first", {"after-sales": 3})
    second = agent("second", {"after-sales": 3})
    AgentStatus.objects.filter(agent=second).update(available_since=timezone.now())  # first waited longer
    customer_writes("我要退货")
    (offer,) = routing_round()
    assert offer.agent == first
    offer_decline(offer_id=offer.pk, user=user_of(first))
    (again,) = routing_round()
    assert again.agent == second and again.contact_id == offer.contact_id


def test_an_offer_that_rings_out_goes_to_another_agent_and_the_first_is_not_ready(shop: object) -> None:
    slow = agent("slow", {"after-sales": 3})
    other = agent("other", {"after-sales": 3})
    AgentStatus.objects.filter(agent=other).update(available_since=timezone.now())
    customer_writes("退货")
    (offer,) = routing_round()
    assert offer.agent == slow
    assert offer_expire(offer_id=offer.pk) is False  # not yet: 15 s to accept
    assert offer_expire(offer_id=offer.pk, now=offer.expires_at) is True
    status = AgentStatus.objects.select_related("reason").get(agent=slow)
    assert status.state == AgentState.NOT_READY and status.reason.code == "missed"
    (again,) = routing_round()
    assert again.agent == other
    with pytest.raises(ConflictError):
        offer_accept(offer_id=offer.pk, user=user_of(slow))


def test_someone_elses_offer_is_not_found(shop: object) -> None:
    mine = agent("mine", {"after-sales": 3})
    thief = agent("thief", {"logistics": 3})
    customer_writes("退货")
    (offer,) = routing_round()
    assert offer.agent == mine
    with pytest.raises(NotFoundError):
        offer_accept(offer_id=offer.pk, user=user_of(thief))
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.RINGING


def test_going_not_ready_withdraws_ringing_offers(shop: object) -> None:
    leaving = agent("leaving", {"after-sales": 3})
    customer_writes("退货")
    (offer,) = routing_round()
    agent_state_change(agent=leaving, state=AgentState.NOT_READY, reason_code="meal")
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.WITHDRAWN
    assert RoutedContact.objects.get(pk=offer.contact_id).status == ContactStatus.WAITING
    assert routing_round() == []


def test_ending_a_conversation_frees_capacity_after_the_after_contact_work(shop: object) -> None:
    worker = agent("worker", {"after-sales": 3}, chats=1)
    contact = customer_writes("退货")
    (offer,) = routing_round()
    offer_accept(offer_id=offer.pk, user=user_of(worker))
    customer_writes("换货")
    assert routing_round() == []  # full
    conversation = Conversation.objects.get(pk=contact.conversation_id)
    conversation_resolve(conversation=conversation, actor=user_of(worker))
    contact_end(conversation_id=conversation.pk)
    status = AgentStatus.objects.get(agent=worker)
    assert status.state == AgentState.AFTER_WORK
    assert routing_round() == []  # wrapping up
    assert after_work_end(now=status.after_work_until) == 1
    (next_offer,) = routing_round()
    assert next_offer.agent == worker


def test_transfer_to_a_named_agent_keeps_the_conversation_and_only_that_agent_is_offered(shop: object) -> None:
    first = agent("first", {"after-sales": 3})
    expert = agent("expert", {"logistics": 5})
    agent("bystander", {"after-sales": 3})
    contact = customer_writes("退货")
    (offer,) = routing_round()
    offer_accept(offer_id=offer.pk, user=user_of(offer.agent))
    holder = offer.agent
    with pytest.raises(PermissionDeniedError):
        contact_transfer(conversation_id=contact.conversation_id, by=user_of(expert), agent_id=first.pk)
    moved = contact_transfer(
        conversation_id=contact.conversation_id, by=user_of(holder), agent_id=expert.pk, note="客户问物流"
    )
    assert moved.pk == contact.pk and moved.status == ContactStatus.WAITING
    (handover,) = routing_round()
    assert handover.agent == expert and handover.contact_id == contact.pk
    assert moved.explanation["transfers"][0]["note"] == "客户问物流"


def test_transfer_to_a_queue_uses_that_queues_skills(shop: object) -> None:
    agent("sales", {"after-sales": 3})
    courier = agent("courier", {"logistics": 4})
    contact = customer_writes("退货")
    (offer,) = routing_round()
    offer_accept(offer_id=offer.pk, user=user_of(offer.agent))
    logistics = Queue.objects.get(code="logistics")
    contact_transfer(conversation_id=contact.conversation_id, by=user_of(offer.agent), queue_id=logistics.pk)
    (handover,) = routing_round()
    assert handover.agent == courier


def test_overflow_reaches_the_backup_pool_only_when_the_primary_is_saturated(shop: object) -> None:
    inhouse = agent("inhouse", {"after-sales": 3}, chats=1)
    backup = agent("backup", {"after-sales": 2}, pools=("backup",))
    Queue.objects.filter(code="after-sales").update(overflow_hold_seconds=0)
    customer_writes("退货")
    (first,) = routing_round()
    assert first.agent == inhouse  # the primary has room: no overflow
    assert not Queue.objects.get(code="after-sales").overflow_active
    customer_writes("退款")
    (second,) = routing_round()
    assert second.agent == backup and second.decision["via_overflow"]
    assert Queue.objects.get(code="after-sales").overflow_active


def test_the_sweep_routes_a_conversation_whose_task_was_lost(shop: Tenant) -> None:
    helper = agent("helper", {"after-sales": 3})
    presence_beat(tenant_id=shop.pk, agent_id=helper.pk, connection="desk-1")
    received = inbound_message_receive(
        channel=widget_channel(), contact=Contact(kind="web_visitor", external_id="lost"), body="退货"
    )
    # No task ran (no worker here): the contact was never enqueued.
    assert not RoutedContact.objects.exists()
    figures = routing_sweep(now=timezone.now() + timedelta(seconds=11))
    assert figures["contacts_enqueued"] == 1 and figures["offers_made"] == 1
    offer = Offer.objects.get()
    assert offer.agent == helper and offer.contact.conversation_id == received.message.conversation_id


def test_the_sweep_sets_agents_without_a_live_socket_offline_and_takes_back_their_offers(shop: Tenant) -> None:
    present = agent("present", {"after-sales": 3})
    gone = agent("gone", {"after-sales": 3})
    AgentStatus.objects.filter(agent=present).update(available_since=timezone.now())
    presence_beat(tenant_id=shop.pk, agent_id=present.pk, connection="desk-1")
    customer_writes("退货")
    (offer,) = routing_round()
    assert offer.agent == gone  # waited longest, but its laptop is closed
    figures = routing_sweep()
    assert figures["agents_set_offline"] == 1 and figures["offers_made"] == 1
    assert AgentStatus.objects.get(agent=gone).state == AgentState.OFFLINE
    assert Offer.objects.get(pk=offer.pk).status == OfferStatus.WITHDRAWN
    assert Offer.objects.get(status=OfferStatus.RINGING).agent == present


def test_a_named_agent_who_declines_a_transfer_sends_it_to_the_queue(shop: Tenant) -> None:
    first = agent("first", {"after-sales": 3}, chats=1)
    named = agent("named", {"logistics": 3})
    contact = customer_writes("退货")
    (offer,) = routing_round()
    offer_accept(offer_id=offer.pk, user=user_of(first))
    contact_transfer(conversation_id=contact.conversation_id, by=user_of(first), agent_id=named.pk)
    (handover,) = routing_round()
    assert handover.agent == named
    offer_decline(offer_id=handover.pk, user=user_of(named))
    # Back to the after-sales queue: the first agent has room again and takes it.
    (again,) = routing_round()
    assert again.agent == first and again.contact_id == contact.pk
