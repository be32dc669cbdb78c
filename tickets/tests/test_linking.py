"""Automatic linking across channels (M18): a return request from the APP joins the same customer's
WeChat conversation and open ticket about the same order, and nobody else's."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import make_tenant
from channels_app.models import Channel, ChannelKind
from channels_app.testing import app_client
from conversations.models import Conversation, Direction, SenderType
from conversations.services import conversation_open_for, message_append
from customers.models import ChannelIdentity, Customer, IdentityKind
from customers.services.identity import Contact, contact_resolve
from tenants.models import Tenant
from tickets.models import Ticket, TicketComment, TicketEvent

URL = "/api/v1/app/return-requests/"
ORDER = "E20261124001"


@pytest.fixture
def shop(platform: None) -> tuple[Tenant, Client]:
    tenant = make_tenant("shop-linking")
    return tenant, app_client(tenant)


def request(client: Client, request_id: str, *, app_user: str = "u-1", order: str = ORDER, **extra: Any) -> Any:
    body = {
        "request_id": request_id,
        "order_no": order,
        "description": "收到的杯子碎了，申请退货。",
        "customer": {"app_user_id": app_user, "name": "林小姐"},
        **extra,
    }
    return client.post(URL, json.dumps(body, ensure_ascii=False), content_type="application/json")


def wechat_chat(customer: Customer, text: str, *, days_ago: float = 0) -> Conversation:
    channel, _ = Channel.objects.get_or_create(kind=ChannelKind.WECHAT_OFFICIAL, name="服务号")
    conversation, _created = conversation_open_for(customer=customer, channel=channel)
    message_append(
        conversation=conversation,
        channel=channel,
        direction=Direction.INBOUND,
        sender_type=SenderType.CUSTOMER,
        body=text,
    )
    if days_ago:
        Conversation.objects.filter(pk=conversation.pk).update(
            last_message_at=timezone.now() - timedelta(days=days_ago), status="resolved"
        )
    return conversation


def app_customer_with_wechat(app_user: str, openid: str) -> Customer:
    """One person known to the APP and to WeChat (as if their phone or unionid tied them together)."""
    customer = contact_resolve(
        Contact(kind=IdentityKind.APP_USER, external_id=app_user, display_name="林小姐")
    ).customer
    ChannelIdentity.objects.create(
        customer=customer, kind=IdentityKind.WECHAT_OPENID, namespace="wx1", external_id=openid
    )
    return customer


def test_a_return_request_links_the_wechat_chat_about_the_same_order(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    with tenant_context(tenant):
        customer = app_customer_with_wechat("u-1", "o-lin")
        chat = wechat_chat(customer, f"你好，订单 {ORDER} 的杯子碎了")
        stranger = Customer.objects.create(display_name="别人")
        wechat_chat(stranger, f"我也买了 {ORDER} 吗？")  # another customer: never linked
    first = request(client, "rr-1")
    assert first.status_code == 201, first.content
    assert first.json()["outcome"] == "created" and first.json()["linked_conversations"] == [chat.pk]
    with tenant_context(tenant):
        ticket = Ticket.objects.get(number=first.json()["ticket"])
        assert ticket.customer == customer and ticket.order_ref == ORDER
        assert ticket.category is not None and ticket.category.code == "return-exchange"
        assert list(ticket.conversations.all()) == [chat]
        assert TicketComment.objects.get(ticket=ticket).from_customer
        assert TicketEvent.objects.filter(ticket=ticket, action="auto_linked").exists()


def test_a_second_request_joins_the_open_ticket_and_a_retry_changes_nothing(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    first = request(client, "rr-1").json()
    second = request(client, "rr-2", description="补充照片说明")
    assert second.status_code == 200 and second.json()["outcome"] == "linked"
    assert second.json()["ticket"] == first["ticket"]
    retry = request(client, "rr-2")
    assert retry.status_code == 200 and retry.json()["outcome"] == "duplicate"
    with tenant_context(tenant):
        assert Ticket.objects.count() == 1 and TicketComment.objects.count() == 2
    other_order = request(client, "rr-3", order="E20261124999")
    assert other_order.status_code == 201 and other_order.json()["ticket"] != first["ticket"]


def test_old_chats_and_closed_tickets_are_not_joined(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    with tenant_context(tenant):
        customer = app_customer_with_wechat("u-1", "o-lin")
        wechat_chat(customer, f"订单 {ORDER} 怎么还没到", days_ago=10)
    first = request(client, "rr-1").json()
    assert first["linked_conversations"] == []
    with tenant_context(tenant):
        Ticket.objects.filter(number=first["ticket"]).update(status="closed")
    again = request(client, "rr-2").json()
    assert again["outcome"] == "created" and again["ticket"] != first["ticket"]


def test_bad_requests_write_nothing(shop: tuple[Tenant, Client]) -> None:
    tenant, client = shop
    for bad in (
        {"order": ""},
        {"order": "x" * 65},
        {"description": "   "},
        {"app_user": ""},
    ):
        response = request(client, "rr-bad", **bad)
        assert response.status_code == 400, bad
    assert Client(HTTP_HOST=client.defaults["HTTP_HOST"]).post(URL, {}).status_code in (401, 403)
    with tenant_context(tenant):
        assert not Ticket.objects.exists() and not TicketComment.objects.exists()
