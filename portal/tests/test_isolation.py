"""Two tenants: a portal session, a sign-in code, a lockout and a link of one tenant mean nothing on the other."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, host_of
from portal.auth import PORTAL_SESSION_KEY
from portal.links import portal_ticket_link
from portal.models import SignInCode
from portal.tests.helpers import (
    browser,
    last_code,
    make_customer,
    make_order,
    make_ticket,
    request_code,
    sign_in,
    wrong,
)


def test_a_portal_session_of_tenant_a_is_nobody_on_tenant_b(two_tenants: TwoTenants, outbox: list) -> None:
    a, b = two_tenants.a, two_tenants.b
    me_a = make_customer(a)
    make_customer(b)  # B has a customer with the same id and phone
    make_order(a, me_a, "SO-A-1")
    client = browser(a)
    sign_in(client, outbox)
    assert client.get("/portal/orders/SO-A-1/").status_code == 200
    # The same cookie sent to B's host: B's schema has no such session.
    on_b = client.get("/portal/", HTTP_HOST=host_of(b))
    assert on_b.status_code == 302 and on_b["Location"].startswith("/portal/sign-in/")


def test_a_session_row_that_reached_another_schema_is_refused(two_tenants: TwoTenants, outbox: list) -> None:
    a, b = two_tenants.a, two_tenants.b
    make_customer(a)
    me_b = make_customer(b)
    make_order(b, me_b, "SO-B-1")
    client = browser(a)
    sign_in(client, outbox)
    with tenant_context(a):
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        data: dict[str, Any] = SessionStore(session_key=key).load()
    assert data[PORTAL_SESSION_KEY]["schema"] == a.schema_name
    with tenant_context(b):  # copy the row into B's schema under the same key
        copied = SessionStore(session_key=key)
        copied.update(data)
        copied.save(must_create=True)
    on_b = client.get("/portal/orders/SO-B-1/", HTTP_HOST=host_of(b))
    assert on_b.status_code == 302 and on_b["Location"].startswith("/portal/sign-in/")
    with tenant_context(b):
        assert PORTAL_SESSION_KEY not in SessionStore(session_key=key).load()


def test_codes_lockouts_and_orders_stay_in_their_tenant(two_tenants: TwoTenants, outbox: list, settings: Any) -> None:
    a, b = two_tenants.a, two_tenants.b
    make_customer(a)
    me_b = make_customer(b)
    make_order(b, me_b, "SO-B-1")
    settings.PORTAL_MAX_FAILURES = 2
    on_a = browser(a)
    request_code(on_a, "13812345678")
    code_of_a = last_code(outbox)
    on_a.post("/portal/sign-in/code/", {"code": wrong(code_of_a)})
    assert on_a.post("/portal/sign-in/code/", {"code": wrong(code_of_a)}).status_code == 429  # A locked it
    # On B the same number is not locked, can be sent a code at once, and A's code is no good there.
    on_b = browser(b)
    assert request_code(on_b, "13812345678").status_code == 302
    if code_of_a != last_code(outbox):
        assert on_b.post("/portal/sign-in/code/", {"code": code_of_a}).status_code == 400
    assert on_b.post("/portal/sign-in/code/", {"code": last_code(outbox)}).status_code == 302
    assert on_b.get("/portal/orders/SO-B-1/").status_code == 200
    with tenant_context(a):
        assert SignInCode.objects.count() == 1
    # B's customer asking for A's order number, on B: not found (A's order is not in B's schema).
    make_order(a, make_customer(a, app_user="u-9", phone="13900009999"), "SO-A-9")
    assert on_b.get("/portal/orders/SO-A-9/").status_code == 404


def test_a_link_of_tenant_a_is_invalid_on_tenant_b(two_tenants: TwoTenants, outbox: list) -> None:
    a, b = two_tenants.a, two_tenants.b
    ticket = make_ticket(a, make_customer(a))
    make_ticket(b, make_customer(b))  # same id and number on B
    with tenant_context(a):
        link = portal_ticket_link(ticket=ticket)
    made = two_tenants.client("a", "agent").post(f"/api/v1/tickets/{ticket.number}/portal-link/", {},
                                                 content_type="application/json")  # fmt: skip
    client = browser(b)
    sign_in(client, outbox)
    for path in [link, urlsplit(made.json()["url"]).path]:
        response = client.get(path)
        assert response.status_code == 400 and "not valid" in response.content.decode()
    only_on_a = make_ticket(a, make_customer(a, app_user="u-9", phone="13700001111"))
    assert_cross_tenant_404(two_tenants, f"/api/v1/tickets/{only_on_a.number}/portal-link/", method="post")
