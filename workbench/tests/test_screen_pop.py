"""The screen pop: the customer's card, orders, tickets and earlier chats on other channels, in a
fixed number of queries however long their history; another tenant's customer is not found."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, tenant_client
from channels_app.models import Channel, ChannelKind
from conversations.services import conversation_resolve, inbound_message_receive
from customers.models import Customer, Order
from customers.services.identity import Contact, contact_resolve
from tickets.models import Status
from tickets.services.tickets import ticket_create, ticket_status_set

PHONE = "+8613812345678"


def _history(tenant: Any, *, chats: int, orders: int, tickets: int = 1, who: str = "1") -> tuple[int, int]:
    """A customer with earlier WeChat chats, orders and tickets, who now writes in the APP (the
    same verified phone links the two); returns (customer id, the current APP conversation id)."""
    with tenant_context(tenant):
        wechat = Channel.objects.get_or_create(kind=ChannelKind.WECHAT_OFFICIAL, name="公众号", config={})[0]
        app = Channel.objects.get_or_create(kind=ChannelKind.APP, name="APP", config={})[0]
        phone = PHONE[:-1] + who
        on_wechat = Contact(kind="wechat_openid", namespace="gh_1", external_id=f"o-{who}", display_name="周杰",
                            phone=phone, phone_verified=True)  # fmt: skip
        for n in range(chats):
            received = inbound_message_receive(channel=wechat, contact=on_wechat, body=f"第{n}次：杯子漏水<b>",
                                               client_msg_id=f"w{who}-{n}")  # fmt: skip
            conversation_resolve(conversation=received.message.conversation, actor="test")
        customer = contact_resolve(on_wechat).customer
        now = timezone.now()
        for n in range(orders):
            placed = now - timedelta(days=n)
            Order.objects.create(customer=customer, order_no=f"E{who}{n:04d}", status="shipped", amount=10,
                                 placed_at=placed, source_updated_at=now, tracking_no=f"SF{n}")  # fmt: skip
        for n in range(tickets):
            ticket_create(customer=customer, subject=f"杯子漏水 {n}", actor="test")
        ticket_status_set(ticket=ticket_create(customer=customer, subject="旧问题", actor="test"),
                          status=Status.RESOLVED, actor="test")  # fmt: skip
        on_app = Contact(kind="app_user", external_id=f"u-{who}", display_name="周杰", phone=phone, phone_verified=True)
        received = inbound_message_receive(channel=app, contact=on_app, body="还是漏水", client_msg_id=f"a{who}")
        assert received.message.conversation.customer_id == customer.pk
        return customer.pk, received.message.conversation_id


def test_the_agent_sees_the_whole_customer_at_once(two_tenants: TwoTenants) -> None:
    customer_id, current = _history(two_tenants.a, chats=4, orders=7)
    agent = tenant_client(two_tenants.a, "agent")
    pop = agent.get(f"/api/v1/customers/{customer_id}/screen-pop/", {"conversation": current},
                    HTTP_ACCEPT_LANGUAGE="zh-hans").json()  # fmt: skip
    assert pop["customer"]["name"] == "周杰"
    assert {"wechat_openid", "app_user"} <= {i["kind"] for i in pop["customer"]["identities"]}
    assert [o["order_no"] for o in pop["orders"]] == ["E10000", "E10001", "E10002", "E10003", "E10004"]
    assert pop["orders"][0]["status_label"] == "已发货" and pop["orders"][0]["tracking_no"] == "SF0"
    assert [t["subject"] for t in pop["tickets"]["open"]] == ["杯子漏水 0"]
    assert [t["subject"] for t in pop["tickets"]["past"]] == ["旧问题"]
    earlier = pop["earlier_conversations"]
    assert len(earlier) == 3 and current not in [c["id"] for c in earlier]
    assert earlier[0]["lines"][-1]["body"] == "第3次：杯子漏水<b>"  # the newest earlier chat first, as text
    kinds = {entry["kind"] for entry in pop["timeline"]}
    assert {"conversation", "order"} <= kinds


def test_the_queries_do_not_grow_with_the_history(two_tenants: TwoTenants) -> None:
    agent = tenant_client(two_tenants.a, "agent")

    def queries(customer_id: int, current: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            answer = agent.get(f"/api/v1/customers/{customer_id}/screen-pop/", {"conversation": current})
            assert answer.status_code == 200
        return len(captured.captured_queries)

    few = queries(*_history(two_tenants.a, chats=1, orders=1, who="1"))
    many = queries(*_history(two_tenants.a, chats=8, orders=30, tickets=15, who="2"))
    assert many == few


def test_another_tenants_customer_is_not_found_and_bad_input_is_refused(two_tenants: TwoTenants) -> None:
    customer_id, _current = _history(two_tenants.a, chats=1, orders=1)
    with tenant_context(two_tenants.b):
        assert not Customer.objects.filter(pk=customer_id).exists()  # the id means nothing on B
    assert_cross_tenant_404(two_tenants, f"/api/v1/customers/{customer_id}/screen-pop/")
    agent = tenant_client(two_tenants.a, "agent")
    assert agent.get(f"/api/v1/customers/{customer_id}/screen-pop/", {"conversation": "x"}).status_code == 400
    assert tenant_client(two_tenants.a).get(f"/api/v1/customers/{customer_id}/screen-pop/").status_code in (401, 403)
