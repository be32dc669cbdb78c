"""The suite's tenant: a widget channel, agents signed in through the real login form, visitor tokens.

Everything is made in the benchmark database through the product's own services and helpers,
in this process, before any server starts; the servers then only read it.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from bench.env import progress

SUBDOMAIN = "benchchat"


@dataclass
class ChatTenant:
    tenant_id: int
    schema: str
    hostname: str  # without the port: benchchat.<BASE_DOMAIN>
    channel_id: int
    agent_cookies: list[str] = field(default_factory=list)  # "sessionid=…", one per agent user
    agent_ids: list[int] = field(default_factory=list)


def prepare(agents: int) -> ChatTenant:
    from django.conf import settings

    from callcenter.core.testing import host_of, make_tenant, make_user, tenant_client
    from channels_app.testing import widget_channel

    t0 = time.perf_counter()
    tenant = make_tenant(SUBDOMAIN, name="Bench chat")
    # No registered sites: the widget's page is the tenant's own host, as the Origin the clients send.
    channel = widget_channel(tenant, origins=())
    progress(f"tenant {SUBDOMAIN!r} provisioned with a widget channel in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    cookies, ids = [], []
    for i in range(agents):
        username = f"agent{i:02d}"
        ids.append(make_user(tenant, username, agent=True).pk)
        client = tenant_client(tenant, username)  # the real login form: a session in the tenant's schema
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    progress(f"{agents} agent users made and signed in through /accounts/login/ in {time.perf_counter() - t0:.1f}s")
    return ChatTenant(
        tenant_id=tenant.pk,
        schema=tenant.schema_name,
        hostname=host_of(tenant),
        channel_id=channel.pk,
        agent_cookies=cookies,
        agent_ids=ids,
    )


def visitor_tokens(chat: ChatTenant, count: int) -> list[str]:
    """New visitors of the widget, as the widget's token endpoint would issue them."""
    from django_tenants.utils import schema_context

    from channels_app.adapters.widget.tokens import visitor_token_issue
    from channels_app.models import Channel

    with schema_context(chat.schema):
        channel = Channel.objects.get(pk=chat.channel_id)
        return [visitor_token_issue(channel=channel)[1] for _ in range(count)]


def stored_messages(chat: ChatTenant, prefix: str) -> tuple[Counter[str], dict[str, int]]:
    """(rows per client_msg_id, seq per client_msg_id) of the messages whose client_msg_id starts with ``prefix``."""
    from django_tenants.utils import schema_context

    from conversations.models import Message

    counts: Counter[str] = Counter()
    seqs: dict[str, int] = {}
    with schema_context(chat.schema):
        rows = Message.objects.filter(client_msg_id__startswith=prefix).values_list("client_msg_id", "seq")
        for client_msg_id, seq in rows.iterator(chunk_size=2000):
            counts[client_msg_id] += 1
            seqs[client_msg_id] = seq
    return counts, seqs
