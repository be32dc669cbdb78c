"""Ticket updates reach the customer on the channel they used last, in their language, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from callcenter.core.testing import make_tenant, make_user
from channels_app.models import Channel, ChannelKind, OutboundDelivery
from conversations.models import Conversation, Direction, Message, SenderType
from conversations.services import conversation_open_for, conversation_resolve, message_append
from customers.models import ChannelIdentity, Customer, IdentityKind
from tenants.models import Tenant
from tickets.models import NotificationTemplate, NotifyEvent, TicketEvent
from tickets.services.comments import ticket_reply
from tickets.services.notifications import ticket_notify
from tickets.services.tickets import ticket_create


@pytest.fixture
def shop(platform: None) -> Iterator[Tenant]:
    tenant = make_tenant("shop-notify")
    with tenant_context(tenant):
        yield tenant


def chat(customer: Customer, channel: Channel) -> Conversation:
    conversation, _created = conversation_open_for(customer=customer, channel=channel)
    inbound = {"direction": Direction.INBOUND, "sender_type": SenderType.CUSTOMER}
    message_append(conversation=conversation, channel=channel, body="在吗", **inbound)
    return conversation


def test_an_open_wechat_chat_gets_the_reply_as_a_message(shop: Tenant) -> None:
    agent = make_user(shop, "xiaoli", agent=True)
    wechat = Channel.objects.create(
        kind=ChannelKind.WECHAT_OFFICIAL, name="服务号", config={"app_id": "wx1", "app_secret": "s" * 32}
    )
    customer = Customer.objects.create(display_name="赵女士")
    ChannelIdentity.objects.create(
        customer=customer, kind=IdentityKind.WECHAT_OPENID, namespace="wx1", external_id="o1"
    )
    conversation = chat(customer, wechat)
    ticket = ticket_create(customer=customer, subject="<b>退款</b>", actor="test")
    comment = ticket_reply(ticket=ticket, author=agent, body="退款已原路退回。")
    assert ticket_notify(ticket_id=ticket.pk, event=NotifyEvent.REPLY, comment_id=comment.pk) == "conversation"
    notice = Message.objects.get(conversation=conversation, sender_type=SenderType.SYSTEM)
    assert "退款已原路退回。" in notice.body and f"#{ticket.number}" in notice.body
    assert "「<b>退款</b>」" in notice.body  # plain text, as typed: the channel shows it as text
    assert OutboundDelivery.objects.filter(channel=wechat, message=notice).exists()  # the WeChat outbox takes it
    assert ticket_notify(ticket_id=ticket.pk, event=NotifyEvent.REPLY, comment_id=comment.pk) == "sent"
    assert Message.objects.filter(sender_type=SenderType.SYSTEM).count() == 1


def test_an_app_customer_without_an_open_chat_gets_a_webhook_event(shop: Tenant) -> None:
    app = Channel.objects.create(
        kind=ChannelKind.APP,
        name="APP",
        config={"webhook_url": "https://shop.example.cn/hooks", "webhook_secret": "k" * 20},
    )
    customer = Customer.objects.create(display_name="钱先生")
    ChannelIdentity.objects.create(customer=customer, kind=IdentityKind.APP_USER, external_id="u-9")
    conversation = chat(customer, app)
    conversation_resolve(conversation=conversation, actor="test")
    ticket = ticket_create(customer=customer, subject="换货", actor="test")
    assert ticket_notify(ticket_id=ticket.pk, event=NotifyEvent.RESOLVED) == "app"
    row = OutboundDelivery.objects.get(channel=app, event="ticket.updated")
    assert row.payload["app_user_id"] == "u-9" and row.payload["ticket"] == ticket.number
    assert "已解决" in row.payload["text"]


def test_email_in_the_customers_language_when_no_chat_can_carry_it(shop: Tenant) -> None:
    customer = Customer.objects.create(display_name="Sun", emails=["sun@example.com"], attributes={"language": "en"})
    ticket = ticket_create(customer=customer, subject="Invoice", actor="test")
    assert ticket_notify(ticket_id=ticket.pk, event=NotifyEvent.WAITING_CUSTOMER) == "email"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"Ticket #{ticket.number} needs your answer"
    assert "/portal/tickets/" in mail.outbox[0].body


def test_nobody_reachable_is_recorded_and_a_broken_template_still_sends(shop: Tenant) -> None:
    customer = Customer.objects.create(display_name="无联系方式")
    ticket = ticket_create(customer=customer, subject="咨询", actor="test")
    assert ticket_notify(ticket_id=ticket.pk, event=NotifyEvent.RESOLVED) == "none"
    entry = TicketEvent.objects.get(ticket=ticket, action="notified")
    assert entry.new_value == {"via": "none", "event": "resolved"}
    NotificationTemplate.objects.filter(event=NotifyEvent.RESOLVED, language="zh-hans").update(
        body="工单 {number} {oops}"
    )
    customer.emails = ["a@example.cn"]
    customer.save()
    other = ticket_create(customer=customer, subject="咨询2", actor="test")
    assert ticket_notify(ticket_id=other.pk, event=NotifyEvent.RESOLVED) == "email"
    assert mail.outbox[-1].body == f"工单 {other.number} {{oops}}"
