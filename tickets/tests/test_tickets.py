"""Tickets against the database: numbers without gaps under concurrency, status moves with history,
refused moves that change nothing, customer replies that reopen."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connections
from django_tenants.utils import tenant_context

from callcenter.core.testing import make_tenant
from customers.models import Customer
from tenants.models import Tenant
from tickets.models import Category, Status, Ticket, TicketEvent
from tickets.services.tickets import StatusMoveRefused, ticket_create, ticket_customer_replied, ticket_status_set


@pytest.fixture
def shop(platform: None) -> Iterator[Tenant]:
    tenant = make_tenant("shop-tickets")
    with tenant_context(tenant):
        yield tenant


def test_every_tenant_starts_with_the_after_sales_taxonomy(shop: Tenant) -> None:
    assert list(Category.objects.values_list("code", flat=True)) == [
        "return-exchange",
        "refund",
        "damaged",
        "logistics",
        "invoice",
        "pre-sales",
        "complaint",
    ]


def test_numbers_have_no_gaps_or_repeats_when_agents_create_tickets_at_once(shop: Tenant) -> None:
    customer = Customer.objects.create(display_name="张三")
    errors: list[BaseException] = []

    def create(n: int) -> None:
        try:
            with tenant_context(shop):
                for i in range(5):
                    ticket_create(customer=customer, subject=f"退货 {n}-{i}", actor="system")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(Ticket.objects.values_list("number", flat=True)) == list(range(1, 21))


def test_status_moves_are_recorded_and_a_forbidden_move_changes_nothing(shop: Tenant) -> None:
    agent = get_user_model().objects.create_user(username="li")
    ticket = ticket_create(
        customer=Customer.objects.create(display_name="王女士"),
        subject="  羽绒服   破了一个洞 ",
        actor=agent,
        category=Category.objects.get(code="damaged"),
        order_ref="JD2026111100042",
    )
    assert ticket.subject == "羽绒服 破了一个洞" and ticket.number == 1
    ticket_status_set(ticket=ticket, status=Status.OPEN, actor=agent)
    resolved = ticket_status_set(ticket=ticket, status=Status.RESOLVED, actor=agent)
    assert resolved.resolved_at is not None
    closed = ticket_status_set(ticket=ticket, status=Status.CLOSED, actor=agent)
    with pytest.raises(StatusMoveRefused):
        ticket_status_set(ticket=closed, status=Status.OPEN, actor=agent)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.CLOSED
    history = list(TicketEvent.objects.filter(ticket=ticket).values_list("action", "old_value", "new_value"))
    assert history[1:] == [
        ("status", "new", "open"),
        ("status", "open", "resolved"),
        ("status", "resolved", "closed"),
    ]


def test_bad_input_is_refused_and_nothing_is_written(shop: Tenant) -> None:
    customer = Customer.objects.create(display_name="赵")
    for subject in ("", "   ", "长" * 201):
        with pytest.raises(ValidationError):
            ticket_create(customer=customer, subject=subject, actor="system")
    with pytest.raises(ValidationError):
        ticket_create(customer=customer, subject="ok", actor="system", priority="critical")
    assert not Ticket.objects.exists() and not TicketEvent.objects.exists()


def test_a_customer_reply_reopens_a_recently_resolved_ticket_only(shop: Tenant) -> None:
    customer = Customer.objects.create(display_name="钱")
    recent = ticket_create(customer=customer, subject="退款没到", actor="system")
    recent = ticket_status_set(ticket=recent, status=Status.RESOLVED, actor="system")
    assert ticket_customer_replied(ticket=recent).status == Status.OPEN
    old = ticket_create(customer=customer, subject="发票", actor="system")
    old = ticket_status_set(ticket=old, status=Status.RESOLVED, actor="system")
    later = old.resolved_at + timedelta(days=8)
    assert ticket_customer_replied(ticket=old, now=later).status == Status.RESOLVED
    assert TicketEvent.objects.filter(ticket=recent, action="reopened", actor_label="customer").exists()
