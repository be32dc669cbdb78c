"""The staff API that makes compensation links (M19): what an agent gets, and what it refuses."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from django_tenants.utils import tenant_context

from callcenter.core.testing import make_user, tenant_client
from channels_app.models import Channel, ChannelKind
from portal.tests.helpers import browser, make_customer, make_ticket, sign_in
from tenants.models import Tenant
from tickets.models import TicketEvent


def test_an_agent_gets_a_link_that_opens_the_ticket_for_its_customer(
    tenant: Tenant, outbox: list, settings: Any
) -> None:
    make_user(tenant, "li.agent", agent=True)
    ticket = make_ticket(tenant, make_customer(tenant))
    with tenant_context(tenant):
        Channel.objects.create(kind=ChannelKind.APP, name="旧 APP", is_active=False,
                               config={"portal_deep_link_template": "old://x?u={url}"})  # fmt: skip
        Channel.objects.create(kind=ChannelKind.APP, name="商城 APP",
                               config={"portal_deep_link_template": "myshop://service?url={url}"})  # fmt: skip
    agent = tenant_client(tenant, "li.agent")
    before = time.time()
    response = agent.post(f"/api/v1/tickets/{ticket.number}/portal-link/", {"ttl_hours": 48},
                          content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["url"].startswith(f"http://shop-a.{settings.BASE_DOMAIN}:{settings.PUBLIC_PORT}/portal/l/")
    assert body["app_link"] == "myshop://service?url=" + quote(body["url"], safe="")
    expires = datetime.fromisoformat(body["expires_at"]).timestamp()
    assert before + 48 * 3600 - 1 <= expires <= time.time() + 48 * 3600 + 1

    customer = browser(tenant)
    sign_in(customer, outbox)
    opened = customer.get(urlsplit(body["url"]).path)
    assert opened.status_code == 302 and opened["Location"] == f"/portal/tickets/{ticket.number}/"

    with tenant_context(tenant):
        event = TicketEvent.objects.get(ticket=ticket, action="portal_link_sent")
        assert event.actor is not None and event.actor.username == "li.agent"
        assert event.new_value == {"expires_at": int(expires), "app": True}
        assert "/portal/l/" not in str(event.new_value)  # the token opens the ticket: never kept


def test_bad_requests_are_refused_and_leave_no_trace(tenant: Tenant) -> None:
    make_user(tenant, "li.agent", agent=True)
    ticket = make_ticket(tenant, make_customer(tenant))
    agent = tenant_client(tenant, "li.agent")
    path = f"/api/v1/tickets/{ticket.number}/portal-link/"
    for bad in [{"ttl_hours": 0}, {"ttl_hours": 721}, {"ttl_hours": "一周"}]:
        response = agent.post(path, bad, content_type="application/json")
        assert response.status_code == 400 and "ttl_hours" in response.json()["errors"], bad
    assert agent.post("/api/v1/tickets/999/portal-link/", {}, content_type="application/json").status_code == 404
    assert browser(tenant).post(path, {}, content_type="application/json").status_code in (401, 403)
    no_app = agent.post(path, {}, content_type="application/json")  # defaults: a week, no APP channel
    assert no_app.status_code == 201 and no_app.json()["app_link"] is None
    with tenant_context(tenant):
        assert TicketEvent.objects.filter(ticket=ticket, action="portal_link_sent").count() == 1
