"""Conversations: one per customer across channels, gapless sequence numbers, idempotent sends, resync."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import ValidationError
from django.db import connections
from django_tenants.utils import tenant_context

from callcenter.core import domain_events
from callcenter.core.errors import ConflictError
from callcenter.core.testing import TwoTenants, make_tenant
from channels_app.models import Channel
from conversations.events import CONTACT_CREATED, conversation_group
from conversations.models import Conversation, Message
from conversations.selectors import messages_since
from conversations.services import conversation_resolve, inbound_message_receive, message_append
from customers.selectors import customer_timeline
from customers.services.identity import Contact
from customers.services.merge import customer_merge


def receive(**kwargs: Any) -> Message:
    return inbound_message_receive(**kwargs).message


def channels() -> tuple[Channel, Channel]:
    return (
        Channel.objects.create(kind="app", name="APP"),
        Channel.objects.create(kind="wechat_official", name="公众号", config={"app_id": "wx1"}),
    )


def test_a_customer_who_moves_from_the_app_to_wechat_stays_in_one_conversation(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, wechat = channels()
        first = receive(
            channel=app,
            contact=Contact(kind="app_user", external_id="u1", wechat_unionid="union-1"),
            body="我要退货",
            topic="returns",
        )
        second = receive(
            channel=wechat,
            contact=Contact(kind="wechat_openid", namespace="wx1", external_id="o1", wechat_unionid="union-1"),
            body="订单号 JD123",
        )
        assert first.conversation_id == second.conversation_id
        assert (first.seq, second.seq) == (1, 2)
        conversation = Conversation.objects.get()
        assert conversation.first_channel == app and conversation.last_channel == wechat
        assert [e.kind for e in customer_timeline(conversation.customer)] == ["conversation"]


def test_sequence_numbers_are_gapless_under_concurrency(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, _ = channels()
        conversation = receive(channel=app, contact=Contact(kind="app_user", external_id="u1"), body="hi").conversation
    barrier = threading.Barrier(10)

    def send(i: int) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait()
                message_append(
                    conversation=conversation, channel=None, direction="out", sender_type="system", body=f"m{i}"
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with tenant_context(tenant):
        assert sorted(Message.objects.values_list("seq", flat=True)) == list(range(1, 12))
        assert Conversation.objects.get().last_seq == 11


def test_a_client_message_id_sent_twice_is_stored_once(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, _ = channels()
        contact = Contact(kind="app_user", external_id="u1")
        first = receive(channel=app, contact=contact, body="你好", client_msg_id="c-1")
        again = receive(channel=app, contact=contact, body="你好", client_msg_id="c-1")
        assert first.pk == again.pk and Message.objects.count() == 1


def test_resync_returns_exactly_what_was_missed(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, _ = channels()
        contact = Contact(kind="app_user", external_id="u1")
        for i in range(5):
            receive(channel=app, contact=contact, body=f"m{i}")
        conversation = Conversation.objects.get()
        assert [m.seq for m in messages_since(conversation, 3)] == [4, 5]
        assert [m.body for m in messages_since(conversation, 0, limit=2)] == ["m0", "m1"]


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"body": "x" * 4001}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "bad\x00byte"}, "body"),
        ({"body": "\ud800"}, "body"),
        ({"body": 123}, "body"),
        ({"kind": "disconnect"}, "kind"),
        ({"client_msg_id": "x" * 65}, "client_msg_id"),
        ({"attachments": [{"name": "no url"}]}, "attachments"),
        ({"attachments": [{"url": "/m/1.png"}] * 11}, "attachments"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_written(
    platform: None, fields: dict[str, Any], error_field: str
) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, _ = channels()
        from customers.models import Customer

        with pytest.raises(ValidationError) as error:
            receive(channel=app, contact=Contact(kind="app_user", external_id="u1"), **{"body": "ok", **fields})
        assert error_field in error.value.message_dict
        assert (Message.objects.count(), Conversation.objects.count(), Customer.objects.count()) == (0, 0, 0)


def test_markup_is_stored_as_text(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, _ = channels()
        text = "<img src=x onerror=alert(1)> 订单呢？"
        message = receive(channel=app, contact=Contact(kind="app_user", external_id="u1"), body=text)
        assert Message.objects.get(pk=message.pk).body == text


def test_a_new_conversation_emits_one_contact_event_after_commit(platform: None) -> None:
    seen: list[dict[str, Any]] = []
    domain_events.subscribe(CONTACT_CREATED, seen.append)
    try:
        tenant = make_tenant("shop-one")
        with tenant_context(tenant):
            app, _ = channels()
            contact = Contact(kind="app_user", external_id="u1", tier_code="vip")
            receive(channel=app, contact=contact, body="在吗", topic="after-sales")
            receive(channel=app, contact=contact, body="还在吗")
    finally:
        domain_events.unsubscribe(CONTACT_CREATED, seen.append)
    assert len(seen) == 1
    assert seen[0]["tier"] == "vip" and seen[0]["topic"] == "after-sales" and seen[0]["channel"] == "app"


def test_message_events_reach_only_the_conversation_group_of_that_tenant(two_tenants: TwoTenants) -> None:
    layer = get_channel_layer()
    listener = async_to_sync(layer.new_channel)()
    with tenant_context(two_tenants.a):
        app, _ = channels()
        first = receive(channel=app, contact=Contact(kind="app_user", external_id="u1"), body="a")
        group = conversation_group(two_tenants.a.pk, first.conversation_id)
        async_to_sync(layer.group_add)(group, listener)
        receive(channel=app, contact=Contact(kind="app_user", external_id="u1"), body="b")
    with tenant_context(two_tenants.b):
        app_b, _ = channels()
        receive(channel=app_b, contact=Contact(kind="app_user", external_id="u1"), body="other tenant")
    event = async_to_sync(layer.receive)(listener)
    assert event["event"] == "message.created" and event["payload"]["body"] == "b" and event["payload"]["seq"] == 2
    assert group.startswith(f"t{two_tenants.a.pk}.conv.")


def test_agents_cannot_write_into_a_resolved_conversation_but_customers_reopen_nothing(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, _ = channels()
        contact = Contact(kind="app_user", external_id="u1")
        first = receive(channel=app, contact=contact, body="a")
        conversation_resolve(conversation=first.conversation, actor="agent")
        with pytest.raises(ConflictError):
            message_append(
                conversation=first.conversation, channel=app, direction="out", sender_type="agent", body="late reply"
            )
        again = receive(channel=app, contact=contact, body="新问题")
        assert again.conversation_id != first.conversation_id and again.seq == 1


def test_two_open_conversations_block_a_merge(platform: None) -> None:
    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, _ = channels()
        a = receive(channel=app, contact=Contact(kind="app_user", external_id="u1"), body="a")
        b = receive(channel=app, contact=Contact(kind="app_user", external_id="u2"), body="b")
        with pytest.raises(ConflictError):
            customer_merge(survivor=a.conversation.customer, merged=b.conversation.customer, actor="boss")
        conversation_resolve(conversation=b.conversation, actor="agent")
        customer_merge(survivor=a.conversation.customer, merged=b.conversation.customer, actor="boss")
        assert Conversation.objects.filter(customer=a.conversation.customer).count() == 2


def test_usage_counts_conversations(platform: None) -> None:
    from tenants.selectors import usage_current

    tenant = make_tenant("shop-one")
    with tenant_context(tenant):
        app, _ = channels()
        receive(channel=app, contact=Contact(kind="app_user", external_id="u1"), body="a")
        assert usage_current(tenant)["conversations"] == 1


def test_delivery_marks_and_attachment_swaps_are_published_once(two_tenants: TwoTenants) -> None:
    from conversations.services import message_attachments_replace, message_mark_delivered

    layer = get_channel_layer()
    listener = async_to_sync(layer.new_channel)()
    with tenant_context(two_tenants.a):
        _, wechat = channels()
        contact = Contact(kind="wechat_openid", namespace="wx1", external_id="o-1")
        voice = inbound_message_receive(
            channel=wechat, contact=contact, kind="voice", attachments=[{"url": "wechat-media:M1"}]
        ).message
        async_to_sync(layer.group_add)(conversation_group(two_tenants.a.pk, voice.conversation_id), listener)
        assert message_mark_delivered(message_id=voice.pk) is True
        assert message_mark_delivered(message_id=voice.pk) is False  # once
        stored = {"url": "/channels/files/abc/", "content_type": "audio/amr", "size": 3, "name": "M1.amr"}
        message_attachments_replace(message_id=voice.pk, replacements={"wechat-media:M1": stored})
        with pytest.raises(ValidationError):  # a replacement is checked like any attachment
            message_attachments_replace(message_id=voice.pk, replacements={"/x": {"url": "javascript:alert(1)"}})
        assert Message.objects.get(pk=voice.pk).attachments == [stored]

    async def two_events() -> list[dict[str, Any]]:  # one event loop for both: channels_redis wants that
        return [await layer.receive(listener) for _ in range(2)]

    delivered, updated = async_to_sync(two_events)()
    assert delivered["event"] == "message.delivered" and delivered["payload"]["id"] == voice.pk
    assert updated["event"] == "message.updated" and updated["payload"]["attachments"] == [stored]
    with tenant_context(two_tenants.b):
        assert message_mark_delivered(message_id=voice.pk) is False  # another tenant's id is nothing here
