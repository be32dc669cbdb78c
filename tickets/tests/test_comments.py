"""Replies, notes, attachments, ratings, field changes, tags and merges on real tickets."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

from agents.models import Team
from callcenter.core.testing import make_tenant, make_user
from customers.models import Customer
from customers.services.merge import customer_merge
from tenants.models import Tenant
from tickets.models import Priority, Status, TagSource, Ticket, TicketAttachment, TicketComment, TicketEvent, TicketTag
from tickets.services.comments import (
    IncomingFile,
    TicketClosed,
    ticket_customer_reply,
    ticket_note_add,
    ticket_reply,
)
from tickets.services.fields import ticket_tag_add, ticket_tag_remove, ticket_update
from tickets.services.merge import MergeRefused, ticket_merge
from tickets.services.ratings import AlreadyRated, RatingNotOpen, ticket_rate
from tickets.services.tickets import ticket_create, ticket_status_set

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def shop(platform: None) -> Iterator[Tenant]:
    tenant = make_tenant("shop-comments")
    with tenant_context(tenant):
        yield tenant


@pytest.fixture
def agent(shop: Tenant) -> Any:
    return make_user(shop, "xiaoli", agent=True)


@pytest.fixture
def ticket(shop: Tenant) -> Ticket:
    customer = Customer.objects.create(display_name="李雷")
    return ticket_create(customer=customer, subject="快递破损", actor="test", order_ref="E2026112400001")


def png(name: str = "破损照片.png", data: bytes = PNG, content_type: str = "image/png") -> IncomingFile:
    return IncomingFile(file=io.BytesIO(data), name=name, content_type=content_type, size=len(data))


def test_a_reply_with_a_photo_is_public_and_a_note_is_internal(shop: Tenant, ticket: Ticket, agent: Any) -> None:
    reply = ticket_reply(ticket=ticket, author=agent, body="已为您登记理赔。", files=[png()])
    note = ticket_note_add(ticket=ticket, author=agent, body="<b>仓库</b>确认外包装完好")
    assert reply.visibility == "public" and note.visibility == "internal"
    attachment = TicketAttachment.objects.get(comment=reply)
    assert attachment.name == "破损照片.png" and attachment.content_type == "image/png"
    assert attachment.storage_key.startswith(f"t{shop.pk}/tickets/")
    assert default_storage.exists(attachment.storage_key)
    assert note.body == "<b>仓库</b>确认外包装完好"  # stored as typed; pages escape it
    assert list(TicketEvent.objects.filter(ticket=ticket).values_list("action", flat=True)) == [
        "created",
        "replied",
        "noted",
    ]


def test_a_file_whose_content_does_not_match_its_type_writes_nothing(ticket: Ticket, agent: Any) -> None:
    page = png(name="x.png", data=b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError):
        ticket_reply(ticket=ticket, author=agent, body="看附件", files=[png(), page])
    assert not TicketComment.objects.exists() and not TicketAttachment.objects.exists()
    assert ticket.events.count() == 1  # only "created"


def test_empty_or_oversized_bodies_are_refused(ticket: Ticket, agent: Any) -> None:
    with pytest.raises(ValidationError):
        ticket_reply(ticket=ticket, author=agent, body="   ")
    with pytest.raises(ValidationError):
        ticket_note_add(ticket=ticket, author=agent, body="字" * 10_001)
    with pytest.raises(ValidationError):
        ticket_note_add(ticket=ticket, author=agent, body="bell\x07")
    assert not TicketComment.objects.exists()


def test_a_customer_reply_reopens_and_a_closed_ticket_refuses_it(ticket: Ticket) -> None:
    ticket_status_set(ticket=ticket, status=Status.WAITING_CUSTOMER, actor="test")
    ticket_customer_reply(ticket=ticket, customer=ticket.customer, body="照片已补充")
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    ticket_status_set(ticket=ticket, status=Status.CLOSED, actor="test")
    with pytest.raises(TicketClosed):
        ticket_customer_reply(ticket=ticket, customer=ticket.customer, body="还在吗")
    assert TicketComment.objects.count() == 1


def test_rating_only_once_and_only_when_resolved(ticket: Ticket) -> None:
    with pytest.raises(RatingNotOpen):
        ticket_rate(ticket=ticket, customer=ticket.customer, score=5)
    ticket_status_set(ticket=ticket, status=Status.RESOLVED, actor="test")
    for bad in (0, 6, "五", None):
        with pytest.raises(ValidationError):
            ticket_rate(ticket=ticket, customer=ticket.customer, score=bad)
    rating = ticket_rate(ticket=ticket, customer=ticket.customer, score="4", comment="处理很快")
    assert rating.score == 4
    with pytest.raises(AlreadyRated):
        ticket_rate(ticket=ticket, customer=ticket.customer, score=1)


def test_field_changes_are_checked_and_each_is_in_the_history(shop: Tenant, ticket: Ticket, agent: Any) -> None:
    team = Team.objects.create(name="售后")
    not_an_agent = make_user(shop, "visitor")
    with pytest.raises(ValidationError):
        ticket_update(ticket=ticket, actor=agent, changes={"assignee": not_an_agent, "priority": Priority.HIGH})
    with pytest.raises(ValidationError):
        ticket_update(ticket=ticket, actor=agent, changes={"status": Status.CLOSED})
    ticket.refresh_from_db()
    assert ticket.assignee is None and ticket.priority == Priority.NORMAL  # all or nothing
    ticket = ticket_update(ticket=ticket, actor=agent, changes={"assignee": agent, "team": team, "subject": " 换 货 "})
    assert ticket.subject == "换 货"
    changed = TicketEvent.objects.filter(ticket=ticket, action="changed").values_list("field", "new_value")
    assert set(changed) == {("assignee", agent.pk), ("team", team.pk), ("subject", "换 货")}


def test_tags_keep_their_source_and_a_persons_tag_wins(ticket: Ticket, agent: Any) -> None:
    ticket_tag_add(ticket=ticket, name="破损", actor="nlp", source=TagSource.AUTOMATIC, confidence=0.72)
    ticket_tag_add(ticket=ticket, name="破损", actor=agent)
    tag = TicketTag.objects.get(ticket=ticket)
    assert tag.source == TagSource.MANUAL and tag.confidence == 1.0
    ticket_tag_add(ticket=ticket, name="破损", actor="nlp", source=TagSource.AUTOMATIC, confidence=0.3)
    assert TicketTag.objects.get(ticket=ticket).source == TagSource.MANUAL
    with pytest.raises(ValidationError):
        ticket_tag_add(ticket=ticket, name="x", actor="nlp", source=TagSource.AUTOMATIC, confidence=1.5)
    assert ticket_tag_remove(ticket=ticket, name="破损", actor=agent)
    assert not TicketTag.objects.exists()


def test_merging_a_duplicate_closes_it_and_moves_its_links(ticket: Ticket, agent: Any) -> None:
    duplicate = ticket_create(customer=ticket.customer, subject="包裹破了", actor="customer")
    ticket_tag_add(ticket=duplicate, name="物流", actor=agent)
    ticket_customer_reply(ticket=duplicate, customer=ticket.customer, body="盒子压坏了")
    kept = ticket_merge(source=duplicate, target=ticket, actor=agent)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept and duplicate.status == Status.CLOSED
    assert list(kept.tags.values_list("name", flat=True)) == ["物流"]
    with pytest.raises(MergeRefused):
        ticket_merge(source=duplicate, target=ticket, actor=agent)
    with pytest.raises(MergeRefused):
        ticket_merge(source=ticket, target=ticket, actor=agent)
    other = ticket_create(customer=Customer.objects.create(display_name="韩梅梅"), subject="别人的", actor="test")
    with pytest.raises(MergeRefused):
        ticket_merge(source=other, target=ticket, actor=agent)


def test_a_customer_merge_moves_their_tickets(ticket: Ticket) -> None:
    survivor = Customer.objects.create(display_name="李雷 (APP)")
    customer_merge(survivor=survivor, merged=ticket.customer, actor="test")
    ticket.refresh_from_db()
    assert ticket.customer == survivor
