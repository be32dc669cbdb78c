"""Links agents send (M19): a signed, expiring path to the ticket, and the shop APP's deep link around it."""

from __future__ import annotations

import time
from typing import Any
from unittest import mock
from urllib.parse import quote

from django.core import signing
from django_tenants.utils import tenant_context

from channels_app.models import Channel, ChannelKind
from portal.links import app_deep_link, deep_link_template_error, portal_ticket_link
from portal.tests.helpers import browser, last_code, make_customer, make_ticket, sign_in
from tenants.models import Tenant
from tickets.models import Ticket


def link_for(tenant: Tenant, ticket: Ticket, **kwargs: Any) -> str:
    with tenant_context(tenant):
        return portal_ticket_link(ticket=ticket, **kwargs)


def test_the_owner_is_taken_to_the_ticket_after_signing_in(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    ticket = make_ticket(tenant, me)
    link = link_for(tenant, ticket)
    assert link.startswith("/portal/l/") and link.endswith("/")
    client = browser(tenant)
    to_sign_in = client.get(link)
    assert to_sign_in.status_code == 302 and to_sign_in["Location"] == f"/portal/sign-in/?next={quote(link, safe='')}"
    client.get(to_sign_in["Location"])
    client.post("/portal/sign-in/", {"destination": "13812345678", "next": link})
    back = client.post("/portal/sign-in/code/", {"code": last_code(outbox)})
    assert back["Location"] == link
    to_ticket = client.get(link)
    assert to_ticket.status_code == 302 and to_ticket["Location"] == f"/portal/tickets/{ticket.number}/"
    assert client.get(to_ticket["Location"]).status_code == 200


def test_another_customer_gets_not_found(tenant: Tenant, outbox: list) -> None:
    owner = make_customer(tenant)
    make_customer(tenant, app_user="u-2", name="王先生", phone="13900009999")
    link = link_for(tenant, make_ticket(tenant, owner, "私人问题"))
    client = browser(tenant)
    sign_in(client, outbox, "13900009999")
    response = client.get(link)
    assert response.status_code == 404 and "私人问题" not in response.content.decode()


def test_expired_links_are_gone_and_altered_ones_are_refused(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    ticket = make_ticket(tenant, me)
    client = browser(tenant)
    sign_in(client, outbox)
    expired = link_for(tenant, ticket, ttl_s=60)
    with mock.patch("portal.links.time") as clock:
        clock.time.return_value = time.time() + 61
        response = client.get(expired)
    assert response.status_code == 410 and "expired" in response.content.decode()
    good = link_for(tenant, ticket)
    token = good.split("/")[3]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with tenant_context(tenant):  # a well-signed token of another shape, or with another salt
        other_salt = signing.dumps({"t": ticket.pk, "c": me.pk, "e": int(time.time()) + 60}, salt="portal-link:t_x")
        wrong_shape = signing.dumps({"t": str(ticket.pk)}, salt=f"portal-link:{tenant.schema_name}")
    for bad in [tampered, other_salt, wrong_shape, "x", "a" * 600]:
        response = client.get(f"/portal/l/{bad}/")
        assert response.status_code == 400, bad
        assert "not valid" in response.content.decode()
    assert client.get(good).status_code == 302


def test_a_link_keeps_working_after_the_customer_is_merged(tenant: Tenant, outbox: list) -> None:
    from customers.services.merge import customer_merge

    survivor = make_customer(tenant)
    merged = make_customer(tenant, app_user="u-2", name="陈小姐", phone="13900009999")
    ticket = make_ticket(tenant, merged)
    link = link_for(tenant, ticket)
    with tenant_context(tenant):
        customer_merge(survivor=survivor, merged=merged, actor="test")
    client = browser(tenant)
    sign_in(client, outbox)  # with the survivor's phone
    assert client.get(link)["Location"] == f"/portal/tickets/{ticket.number}/"


def test_the_app_deep_link_wraps_the_portal_link(tenant: Tenant, settings: Any) -> None:
    me = make_customer(tenant)
    ticket = make_ticket(tenant, me)
    with tenant_context(tenant):
        app = Channel.objects.create(
            kind=ChannelKind.APP, name="商城 APP", config={"portal_deep_link_template": "myshop://service?url={url}"}
        )
        path = portal_ticket_link(ticket=ticket)
        url = f"http://shop-a.{settings.BASE_DOMAIN}:{settings.PUBLIC_PORT}{path}"
        deep = app_deep_link(url=url, channel=app)
    assert deep == "myshop://service?url=" + quote(url, safe="")
    with tenant_context(tenant):
        for config, kind in [
            ({}, ChannelKind.APP),
            ({"portal_deep_link_template": "myshop://service"}, ChannelKind.APP),  # no {url}
            ({"portal_deep_link_template": "javascript:{url}"}, ChannelKind.APP),
            ({"portal_deep_link_template": "myshop://x?u={url}&v={url}"}, ChannelKind.APP),
            ({"portal_deep_link_template": 'myshop://x?u="{url}"'}, ChannelKind.APP),
            ({"portal_deep_link_template": "myshop://service?url={url}"}, ChannelKind.WEB_WIDGET),
        ]:
            channel = Channel.objects.create(kind=kind, name="x", config=config)
            assert app_deep_link(url="https://x.example.cn/", channel=channel) is None, config


def test_deep_link_templates_are_checked() -> None:
    for good in ["myshop://service?url={url}", "https://m.shop.example.cn/open?target={url}", "tb-app://x/{url}"]:
        assert deep_link_template_error(good) is None, good
    for bad in [None, 42, "", "{url}", "myshop://service", "javascript:{url}", "data:text/html,{url}",
                "my shop://{url}", "myshop://{url}{x}", "myshop://" + "a" * 500 + "{url}"]:  # fmt: skip
        assert deep_link_template_error(bad) is not None, bad
