"""SLA policies on real tickets: the deadlines a ticket gets, pauses while waiting for the customer,
warnings and breaches found by the sweep, escalation once, and the sweep run through beat's path."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from agents.models import Team
from callcenter.core.testing import make_tenant, make_user
from customers.models import Customer, MembershipTier
from tenants.models import Tenant
from tickets.models import BusinessCalendar, Priority, SlaPolicy, SlaTarget, Status, TicketEvent
from tickets.services.comments import ticket_reply
from tickets.services.fields import ticket_update
from tickets.services.sla import sla_sweep
from tickets.services.tickets import ticket_create, ticket_status_set

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(d: int, hh: int, mm: int = 0) -> datetime:
    """A moment in November 2026, Shanghai time (Monday 23 is a working day)."""
    return datetime(2026, 11, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def shop(platform: None) -> Iterator[Tenant]:
    tenant = make_tenant("shop-sla")
    with tenant_context(tenant):
        yield tenant


@pytest.fixture
def customer(shop: Tenant) -> Customer:
    return Customer.objects.create(display_name="王小明")


def test_a_new_ticket_gets_the_standard_policy_in_business_hours(customer: Customer) -> None:
    # Friday 20 Nov 17:00, normal priority: 4 h first response (1 h Friday, 3 h Monday 9-12).
    ticket = ticket_create(customer=customer, subject="退货", actor="test", now=at(20, 17))
    assert ticket.sla_policy is not None and ticket.sla_policy.code == "standard"
    assert ticket.first_response_due == at(23, 12)
    # 24 business hours at 8 h a day (9-12, 13:30-18:00 is 7.5 h: lunch breaks don't count).
    assert ticket.resolution_due is not None and ticket.resolution_due > at(25, 9)
    assert ticket.sla_next_check_at == at(23, 11, 30)  # warned 30 business minutes before


def test_a_vip_policy_applies_to_its_tier_only(customer: Customer) -> None:
    vip = MembershipTier.objects.get(code="vip")
    always = BusinessCalendar.objects.create(
        code="always", name="全天", week=[[["00:00", "24:00"]]] * 7, timezone="Asia/Shanghai"
    )
    policy = SlaPolicy.objects.create(code="vip", name="VIP", calendar=always, position=0)
    policy.tiers.add(vip)
    SlaTarget.objects.create(policy=policy, priority=Priority.NORMAL, first_response_minutes=15, resolution_minutes=120)
    SlaPolicy.objects.filter(code="standard").update(position=10)
    regular = ticket_create(customer=customer, subject="普通", actor="test", now=at(21, 22))
    vip_customer = Customer.objects.create(display_name="VIP 客户", tier=vip)
    fast = ticket_create(customer=vip_customer, subject="加急", actor="test", now=at(21, 22))
    assert fast.sla_policy == policy and fast.first_response_due == at(21, 22, 15)
    assert regular.sla_policy is not None and regular.sla_policy.code == "standard"
    assert regular.first_response_due is not None and regular.first_response_due > at(23, 9)


def test_the_first_public_reply_stops_the_first_response_clock(shop: Tenant, customer: Customer) -> None:
    agent = make_user(shop, "xiaoli", agent=True)
    ticket = ticket_create(customer=customer, subject="发票", actor="test", now=at(23, 9))
    ticket_reply(ticket=ticket, author=agent, body="您好，发票已开具。")
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert sla_sweep(now=at(23, 14))["warned"] == 0  # the first-response warning no longer comes
    # A later reply does not move the first response.
    first = ticket.first_responded_at
    ticket_reply(ticket=ticket, author=agent, body="还有别的问题吗？")
    ticket.refresh_from_db()
    assert ticket.first_responded_at == first


def test_waiting_for_the_customer_pauses_the_resolution_clock(customer: Customer) -> None:
    ticket = ticket_create(customer=customer, subject="换货", actor="test", now=at(23, 9))
    due = ticket.resolution_due
    assert due is not None
    ticket_status_set(ticket=ticket, status=Status.WAITING_CUSTOMER, actor="test", now=at(23, 10))
    ticket_status_set(ticket=ticket, status=Status.OPEN, actor="test", now=at(23, 15))
    ticket.refresh_from_db()
    # 10:00-12:00 and 13:30-15:00 were paused: 3.5 business hours later than before.
    assert ticket.sla_paused_seconds == 3.5 * 3600
    assert ticket.resolution_due is not None and ticket.resolution_due > due
    assert ticket.sla_paused_at is None


def test_the_sweep_warns_then_breaches_and_escalates_once(shop: Tenant, customer: Customer) -> None:
    lead = make_user(shop, "lead", agent=True)
    agent = make_user(shop, "agent", agent=True)
    team = Team.objects.create(name="售后一组", lead=lead)
    ticket = ticket_create(customer=customer, subject="破损", actor="test", now=at(23, 9))
    ticket_update(ticket=ticket, actor="test", changes={"team": team, "assignee": agent})

    # Due 14:30 (9-12, then 13:30-14:30), so warned from 14:00.
    assert ticket.first_response_due == at(23, 14, 30)
    assert sla_sweep(now=at(23, 13, 59))["checked"] == 0
    assert sla_sweep(now=at(23, 14, 5)) == {"checked": 1, "warned": 1, "breached": 0}
    assert sla_sweep(now=at(23, 14, 6))["checked"] == 0  # nothing more until the deadline
    counts = sla_sweep(now=at(23, 14, 31))
    assert counts["breached"] == 1
    ticket.refresh_from_db()
    assert ticket.sla_breached and ticket.priority == Priority.HIGH and ticket.escalated_at is not None
    assert sla_sweep(now=at(23, 14, 32))["breached"] == 0  # recorded once
    actions = list(TicketEvent.objects.filter(ticket=ticket, actor_label="system").values_list("action", flat=True))
    assert actions == ["sla_warning", "sla_breached", "escalated"]


def test_a_ticket_found_long_overdue_is_breached_without_a_warning(customer: Customer) -> None:
    ticket = ticket_create(customer=customer, subject="投诉", actor="test", now=at(23, 9))
    counts = sla_sweep(now=at(30, 9))
    assert counts["warned"] == 0 and counts["breached"] == 2  # first response and resolution
    ticket.refresh_from_db()
    assert ticket.priority == Priority.HIGH  # escalated once, not twice
    assert ticket.sla_next_check_at is None


def test_resolved_tickets_are_not_swept(customer: Customer) -> None:
    ticket = ticket_create(customer=customer, subject="已解决", actor="test", now=at(23, 9))
    ticket_status_set(ticket=ticket, status=Status.RESOLVED, actor="test", now=at(23, 10))
    ticket.refresh_from_db()
    assert ticket.sla_next_check_at is None
    assert sla_sweep(now=at(30, 9))["checked"] == 0


def test_without_a_policy_no_clock_runs(customer: Customer) -> None:
    SlaPolicy.objects.update(is_active=False)
    ticket = ticket_create(customer=customer, subject="无SLA", actor="test")
    assert ticket.sla_policy is None and ticket.first_response_due is None and ticket.sla_next_check_at is None


def test_changing_the_priority_moves_the_deadlines(customer: Customer) -> None:
    ticket = ticket_create(customer=customer, subject="退款", actor="test", now=at(23, 9))
    ticket = ticket_update(ticket=ticket, actor="test", changes={"priority": Priority.URGENT})
    assert ticket.first_response_due == at(23, 9, 30)
    assert TicketEvent.objects.filter(ticket=ticket, field="priority", new_value=Priority.URGENT).exists()


def test_beat_dispatch_runs_the_sweep_in_every_tenant(celery_worker: object) -> None:
    from callcenter.core.tasks import dispatch_to_tenants

    tenant = make_tenant("shop-beat")
    with tenant_context(tenant):
        customer = Customer.objects.create(display_name="张三")
        ticket = ticket_create(customer=customer, subject="超时", actor="test", now=at(2, 9))
    dispatch_to_tenants.delay("tickets.tasks.sla_sweep")
    with tenant_context(tenant):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            ticket.refresh_from_db()
            if ticket.sla_breached:
                break
            time.sleep(0.2)
        assert ticket.sla_breached


@pytest.mark.parametrize(
    ("week", "zone", "problem"),
    [
        ([[["09:00", "18:00"]]] * 5 + [[], []], "Asia/Shanghai", None),
        ([[["09:00", "18:00"]]] * 5 + [[], []], "Mars/Olympus", "time zone"),
        ([[["09:00", "18:00"]]] * 6, "Asia/Shanghai", "seven days"),
        ([[["12:00", "09:00"]]] * 7, "Asia/Shanghai", "intervals"),
        ([[["09:00"]]] * 7, "Asia/Shanghai", "intervals"),
        ([[[9, 18]]] * 7, "Asia/Shanghai", "intervals"),
        ([[]] * 7, "Asia/Shanghai", "working time"),
    ],
)
def test_calendars_with_impossible_hours_are_refused(week: object, zone: str, problem: str | None) -> None:
    from django.utils import translation

    from tickets.services.sla import calendar_problem

    with translation.override("en"):
        found = calendar_problem(week, zone)
    assert (found is None) if problem is None else (found is not None and problem in found)
