"""The screen pop's earlier chats: the last text lines of each, however long the chat and whatever
else was sent in it; the tickets split into still being worked on and done, newest first."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, tenant_client
from channels_app.models import Channel, ChannelKind
from conversations.models import MessageKind
from conversations.services import agent_reply, conversation_resolve, inbound_message_receive
from customers.services.identity import Contact
from tickets.models import Status
from tickets.services.tickets import ticket_create, ticket_status_set

PICTURE = [{"url": "https://cdn.example.cn/a.jpg", "content_type": "image/jpeg"}]


def test_earlier_chats_show_their_last_text_lines_in_order(two_tenants: TwoTenants) -> None:
    with tenant_context(two_tenants.a):
        wechat = Channel.objects.create(kind=ChannelKind.WECHAT_OFFICIAL, name="公众号", config={})
        app = Channel.objects.create(kind=ChannelKind.APP, name="APP", config={})
        agent = get_user_model().objects.get(username="agent")
        on_wechat = Contact(kind="wechat_openid", namespace="gh_1", external_id="o-lines", display_name="李娜",
                            phone="+8613900001111", phone_verified=True)  # fmt: skip
        chat = [
            ("customer", "在吗"),
            ("agent", "您好，请讲"),
            ("picture", ""),
            ("customer", "杯子漏水了"),
            ("agent", "请拍照发给我们"),
            ("picture", ""),
            ("customer", "已经拍了"),
        ]
        conversation = None
        for n, (who, line) in enumerate(chat):
            if who == "agent":
                assert conversation is not None
                agent_reply(conversation=conversation, user=agent, body=line)
                continue
            picture = {"kind": MessageKind.IMAGE, "attachments": PICTURE} if who == "picture" else {"body": line}
            received = inbound_message_receive(channel=wechat, contact=on_wechat, client_msg_id=f"m{n}", **picture)
            conversation = received.message.conversation
        assert conversation is not None
        customer = conversation.customer
        conversation_resolve(conversation=conversation, actor="test")
        done = ticket_create(customer=customer, subject="旧的", actor="test")
        ticket_status_set(ticket=done, status=Status.RESOLVED, actor="test")
        for n in range(12):
            ticket_create(customer=customer, subject=f"新的 {n}", actor="test")
        on_app = Contact(kind="app_user", external_id="u-lines", phone="+8613900001111", phone_verified=True)
        current = inbound_message_receive(channel=app, contact=on_app, body="还是漏", client_msg_id="a1")
        assert current.message.conversation.customer_id == customer.pk

    pop = tenant_client(two_tenants.a, "agent").get(
        f"/api/v1/customers/{customer.pk}/screen-pop/", {"conversation": current.message.conversation_id}
    )
    assert pop.status_code == 200
    (earlier,) = pop.json()["earlier_conversations"]
    assert earlier["id"] == conversation.pk
    got = [(line["from"], line["body"]) for line in earlier["lines"]]
    # The last four text lines of seven: the first line and the two pictures are left out.
    assert got == [
        ("agent", "您好，请讲"),
        ("customer", "杯子漏水了"),
        ("agent", "请拍照发给我们"),
        ("customer", "已经拍了"),
    ]
    assert [line["seq"] for line in earlier["lines"]] == sorted(line["seq"] for line in earlier["lines"])
    tickets = pop.json()["tickets"]
    assert [t["subject"] for t in tickets["open"]] == [f"新的 {n}" for n in range(11, 1, -1)]  # the newest 10
    assert [t["subject"] for t in tickets["past"]] == ["旧的"]
