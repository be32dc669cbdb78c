"""Helpers to build a routing scene inside a tenant: agents, customers writing in, rounds at chosen times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from agents.models import AgentProfile, AgentState
from agents.services.agents import agent_ensure
from channels_app.models import Channel
from conversations.services import inbound_message_receive
from customers.services.identity import Contact
from routing.models import RoutedContact
from routing.services.contacts import contact_enqueue
from routing.services.presence import agent_state_change

_ids = count(1)


def widget_channel() -> Channel:
    channel, _created = Channel.objects.get_or_create(kind="web_widget", name="官网")
    return channel


def agent(
    username: str, skills: Mapping[str, int], *, pools: tuple[str, ...] = ("primary",), chats: int = 3
) -> AgentProfile:
    profile = agent_ensure(username=username, password="x-pass-2026", display_name=username, skills=skills, pools=pools)
    profile.chat_capacity = chats
    profile.save(update_fields=["chat_capacity"])
    agent_state_change(agent=profile, state=AgentState.AVAILABLE, now=timezone.now() - timedelta(minutes=10))
    return profile


def customer_writes(
    text: str, *, tier: str = "", topic: str = "", name: str = "", at: datetime | None = None
) -> RoutedContact:
    """A widget visitor writes in and the contact is enqueued (what the routing task does)."""
    visitor = f"visitor-{next(_ids)}"
    received = inbound_message_receive(
        channel=widget_channel(),
        contact=Contact(kind="web_visitor", external_id=visitor, display_name=name or visitor, tier_code=tier),
        body=text,
        topic=topic,
    )
    contact = contact_enqueue(conversation_id=received.message.conversation_id, now=at)
    assert contact is not None
    return contact


def user_of(profile: AgentProfile) -> Any:
    return get_user_model().objects.get(pk=profile.user_id)
