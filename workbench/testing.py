"""Set-ups the desk's browser tests and its benchmark share: agents with skills, and a customer
with a story (an earlier WeChat chat, an order, an APP return request) whom a web visitor turns
out to be, so the screen pop has something to show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import make_user

STORY_PHONE = "+8613912345678"


def desk_agents(tenant: Any, *, offer_timeout_s: int = 20, after_work_s: int = 30) -> None:
    """`agent` takes after-sales work; `courier` only logistics, so a return is not theirs."""
    from agents.models import AgentProfile, Pool
    from agents.services.agents import agent_skills_set
    from routing.models import Queue

    if not _user_exists(tenant, "courier"):
        make_user(tenant, "courier", agent=True)
    with tenant_context(tenant):
        for username, skills in (("agent", {"after-sales": 3}), ("courier", {"logistics": 3})):
            profile = AgentProfile.objects.get(user__username=username)
            agent_skills_set(agent=profile, skills=skills)
            profile.pools.set(Pool.objects.filter(code="primary"))
        Queue.objects.update(offer_timeout_seconds=offer_timeout_s, after_work_seconds=after_work_s)


def _user_exists(tenant: Any, username: str) -> bool:
    from django.contrib.auth import get_user_model

    with tenant_context(tenant):
        return get_user_model().objects.filter(username=username).exists()


def customer_with_story(tenant: Any, visitor_id: str) -> int:
    """周杰: a WeChat chat last week, an order and an APP return request; the web visitor is her too."""
    from channels_app.models import Channel, ChannelKind
    from conversations.services import conversation_resolve, inbound_message_receive, system_notice
    from customers.models import ActivityEvent, Order
    from customers.services.identity import Contact, contact_resolve
    from tickets.services.linking import return_request_submit

    with tenant_context(tenant):
        wechat, _ = Channel.objects.get_or_create(kind=ChannelKind.WECHAT_OFFICIAL, name="公众号", config={})
        on_wechat = Contact(kind="wechat_openid", namespace="gh_1", external_id="o-zhoujie", display_name="周杰",
                            phone=STORY_PHONE, phone_verified=True)  # fmt: skip
        chat = inbound_message_receive(channel=wechat, contact=on_wechat, body="保温杯的杯盖漏水，怎么办？").message
        system_notice(conversation=chat.conversation, body="请在APP里提交退货申请", client_msg_id="story-1")
        conversation_resolve(conversation=chat.conversation, actor="test")
        customer = contact_resolve(on_wechat).customer
        now = timezone.now()
        Order.objects.get_or_create(customer=customer, order_no="E20261101", defaults={
            "status": "delivered", "amount": "129.00", "placed_at": now - timedelta(days=9),
            "source_updated_at": now, "logistics_company": "顺丰", "tracking_no": "SF1234567890",
            "logistics_status": "已签收"})  # fmt: skip
        Channel.objects.get_or_create(kind=ChannelKind.APP, name="商城APP", config={})
        on_app = Contact(kind="app_user", external_id="u-1", display_name="周杰", phone=STORY_PHONE,
                         phone_verified=True)  # fmt: skip
        assert contact_resolve(on_app).customer.pk == customer.pk
        ActivityEvent.objects.get_or_create(external_id="act-1", defaults={
            "customer": customer, "kind": "submitted_return_request", "occurred_at": now - timedelta(days=1),
            "data": {"order_no": "E20261101"}})  # fmt: skip
        return_request_submit(customer=customer, order_ref="E20261101", description="杯盖漏水，申请退货",
                              request_id="rr-1")  # fmt: skip
        # The shop's site verified her phone on an earlier visit: this visitor is her.
        on_site = Contact(kind="web_visitor", external_id=visitor_id, phone=STORY_PHONE, phone_verified=True)
        assert contact_resolve(on_site).customer.pk == customer.pk
        return int(customer.pk)


def visitor_writes(tenant: Any, text: str, visitor_id: str, channel_id: int) -> int:
    """A web visitor's message as the widget's socket stores it; returns the conversation id."""
    from channels_app.models import Channel
    from conversations.services import inbound_message_receive
    from customers.services.identity import Contact

    with tenant_context(tenant):
        contact = Contact(kind="web_visitor", external_id=visitor_id)
        received = inbound_message_receive(channel=Channel.objects.get(pk=channel_id), contact=contact, body=text)
        return int(received.message.conversation_id)
