"""Inside WeChat, the official account signs the customer in (OAuth2 snsapi_base) and the portal accepts it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from channels_app.models import Channel
from channels_app.tests.fake_wechat import APP_ID
from channels_app.tests.fake_wechat_api import FakeWeChatApi
from channels_app.tests.test_wechat_webhook import make_channel
from customers.models import Customer
from customers.services.identity import Contact, contact_resolve
from customers.services.merge import customer_merge
from portal.auth import PORTAL_SESSION_KEY
from portal.tests.helpers import WECHAT_UA, browser, make_customer, make_order
from tenants.models import Tenant

OPENID = "oPortal-openid-0001"


@pytest.fixture
def wechat_api(settings: Any) -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi.running() as api:
        settings.WECHAT_API_BASE = api.url
        settings.WECHAT_OPEN_BASE = api.url
        yield api


def wechat_customer(tenant: Tenant) -> Customer:
    with tenant_context(tenant):
        return contact_resolve(
            Contact(kind="wechat_openid", namespace=APP_ID, external_id=OPENID, display_name="微信用户")
        ).customer


def through_wechat(client: Client, api: FakeWeChatApi, start: str, code: str = "CODE-1") -> Any:
    """Follow the portal's redirect through the OAuth start and WeChat's authorize page, back to the portal."""
    response = client.get(start)
    assert response.status_code == 302, response.content
    authorize = urlsplit(response["Location"])
    state = parse_qs(authorize.query)["state"][0]
    redirect_uri = urlsplit(parse_qs(authorize.query)["redirect_uri"][0])
    api.grant(code, OPENID)
    return client.get(redirect_uri.path, {"code": code, "state": state})


def test_inside_wechat_the_account_signs_the_customer_in(tenant: Tenant, wechat_api: FakeWeChatApi) -> None:
    channel = make_channel(tenant)
    customer = wechat_customer(tenant)
    make_order(tenant, customer, "SO-WX-1")
    client = browser(tenant, HTTP_USER_AGENT=WECHAT_UA)
    first = client.get("/portal/orders/SO-WX-1/")
    assert first["Location"] == "/portal/sign-in/?next=%2Fportal%2Forders%2FSO-WX-1%2F"
    to_wechat = client.get(first["Location"])
    assert to_wechat.status_code == 302
    start = urlsplit(to_wechat["Location"])
    assert start.path == f"/channels/wechat/{channel.pk}/oauth/start/"
    assert parse_qs(start.query) == {"scope": ["snsapi_base"], "next": ["/portal/orders/SO-WX-1/"]}
    back = through_wechat(client, wechat_api, to_wechat["Location"])
    assert back.status_code == 302 and back["Location"] == "/portal/orders/SO-WX-1/"
    page = client.get("/portal/orders/SO-WX-1/")
    assert page.status_code == 200 and "SO-WX-1" in page.content.decode()
    with tenant_context(tenant):
        assert client.session[PORTAL_SESSION_KEY] == {
            "id": customer.pk,
            "schema": tenant.schema_name,
            "method": "wechat",
        }
        assert Customer.objects.count() == 1


def test_signing_out_inside_wechat_shows_the_choice_instead_of_signing_in_again(
    tenant: Tenant, wechat_api: FakeWeChatApi
) -> None:
    make_channel(tenant)
    wechat_customer(tenant)
    client = browser(tenant, HTTP_USER_AGENT=WECHAT_UA)
    through_wechat(client, wechat_api, client.get("/portal/sign-in/")["Location"])
    assert client.get("/portal/").status_code == 200
    out = client.post("/portal/sign-out/")
    page = client.get(out["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "Sign in with WeChat" in body and 'name="destination"' in body
    assert client.get("/portal/")["Location"].startswith("/portal/sign-in/")  # the WeChat sign-in is gone too


def test_outside_wechat_or_without_an_account_the_code_form_is_shown(tenant: Tenant) -> None:
    assert browser(tenant, HTTP_USER_AGENT=WECHAT_UA).get("/portal/sign-in/").status_code == 200  # no account
    channel = make_channel(tenant)
    plain = browser(tenant, HTTP_USER_AGENT="Mozilla/5.0 (iPhone) Safari/604.1").get("/portal/sign-in/")
    assert plain.status_code == 200 and "Sign in with WeChat" not in plain.content.decode()
    with tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(is_active=False)
    assert browser(tenant, HTTP_USER_AGENT=WECHAT_UA).get("/portal/sign-in/").status_code == 200


def test_a_wechat_sign_in_follows_merges(tenant: Tenant, wechat_api: FakeWeChatApi) -> None:
    make_channel(tenant)
    wechat_profile = wechat_customer(tenant)
    shop_profile = make_customer(tenant)
    make_order(tenant, shop_profile, "SO-APP-1")
    with tenant_context(tenant):
        customer_merge(survivor=shop_profile, merged=wechat_profile, actor="test")
    client = browser(tenant, HTTP_USER_AGENT=WECHAT_UA)
    through_wechat(client, wechat_api, client.get("/portal/sign-in/")["Location"])
    page = client.get("/portal/").content.decode()
    assert "SO-APP-1" in page and "陈小姐" in page
