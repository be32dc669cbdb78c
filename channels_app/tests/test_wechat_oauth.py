"""WeChat OAuth2 web authorization: signed single-use state, code exchange, unionid linking, safe redirects."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of
from channels_app.adapters.wechat.services import wechat_inbox_process
from channels_app.models import Channel, ChannelKind, WeChatInboxMessage
from channels_app.tests.fake_wechat import TOKEN, FakeWeChat, text_xml
from channels_app.tests.fake_wechat_api import APP_SECRET, FakeWeChatApi
from channels_app.tests.test_wechat_webhook import make_channel, post
from channels_app.views_wechat_oauth import SESSION_CUSTOMER
from customers.models import ChannelIdentity, Customer
from tenants.models import Tenant

UNIONID = "o6_bmasdasdsad6_2sgVt7hMZOPfL"
OA_OPENID = "oOA-openid-0001"


@pytest.fixture
def wechat_api(settings: Any) -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi.running() as api:
        settings.WECHAT_API_BASE = api.url
        settings.WECHAT_OPEN_BASE = api.url
        yield api


def browser(tenant: Tenant) -> Client:
    """A browser on the tenant's host, in English (the messages are asserted in English)."""
    return Client(HTTP_HOST=host_of(tenant), HTTP_ACCEPT_LANGUAGE="en")


def start(client: Client, channel: Channel, **query: str) -> tuple[str, dict[str, str]]:
    """Open the start URL; the redirect's target and its query."""
    response = client.get(f"/channels/wechat/{channel.pk}/oauth/start/", query)
    assert response.status_code == 302, response.content
    location = response["Location"]
    assert location.endswith("#wechat_redirect")
    parts = urlsplit(location)
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {k: v[0] for k, v in parse_qs(parts.query).items()}


def callback(client: Client, channel: Channel, **query: str) -> Any:
    return client.get(f"/channels/wechat/{channel.pk}/oauth/callback/", query)


def written(tenant: Tenant) -> tuple[int, int]:
    with tenant_context(tenant):
        return Customer.objects.count(), ChannelIdentity.objects.count()


def session_customer(tenant: Tenant, client: Client) -> Any:
    with tenant_context(tenant):
        return client.session.get(SESSION_CUSTOMER)


def test_userinfo_sign_in_links_the_unionid_and_returns_to_next(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    client = browser(tenant)
    target, query = start(client, channel, scope="snsapi_userinfo", next="/orders/SO-1/?tab=物流")
    assert target == f"{wechat_api.url}/connect/oauth2/authorize"
    assert list(query) == ["appid", "redirect_uri", "response_type", "scope", "state"]
    assert query["appid"] == channel.config["app_id"] and query["response_type"] == "code"
    assert query["scope"] == "snsapi_userinfo"
    assert query["redirect_uri"] == f"http://{host_of(tenant)}/channels/wechat/{channel.pk}/oauth/callback/"
    state = query["state"]
    assert state.isalnum() and len(state) <= 128  # what WeChat passes back unchanged
    wechat_api.grant("CODE-1", OA_OPENID, scope="snsapi_userinfo", unionid=UNIONID, nickname="小明 <b>")
    response = callback(client, channel, code="CODE-1", state=state)
    assert response.status_code == 302 and response["Location"] == "/orders/SO-1/?tab=%E7%89%A9%E6%B5%81"  # 物流
    with tenant_context(tenant):
        customer = Customer.objects.get()
        assert customer.display_name == "小明 <b>"
        assert set(customer.identities.values_list("kind", "namespace", "external_id")) == {
            ("wechat_openid", channel.config["app_id"], OA_OPENID),
            ("wechat_unionid", "", UNIONID),
        }
    assert session_customer(tenant, client) == customer.pk
    # Later the same person writes to the mini program (another AppID, same unionid): one customer.
    with tenant_context(tenant):
        mini = Channel.objects.create(
            kind=ChannelKind.WECHAT_MINI_PROGRAM,
            name="小程序",
            config={"token": TOKEN, "app_id": "wxMiniProgram0001", "app_secret": "x"},
        )
    with mock.patch("channels_app.adapters.wechat.services.process_wechat_message"):
        push = text_xml("小程序里问一下", openid="oMINI-openid-9", UnionId=UNIONID)
        assert post(tenant, mini, *FakeWeChat(aes_key=None).push(push)).status_code == 200
    with tenant_context(tenant):
        row = wechat_inbox_process(message_id=WeChatInboxMessage.objects.get(channel=mini).pk)
        assert row is not None and row.customer_id == customer.pk
        assert Customer.objects.count() == 1


def test_base_scope_asks_for_no_profile(two_tenants: TwoTenants, wechat_api: FakeWeChatApi) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    client = browser(tenant)
    _, query = start(client, channel)  # snsapi_base and "/" by default
    assert query["scope"] == "snsapi_base"
    wechat_api.grant("CODE-B", OA_OPENID)
    response = callback(client, channel, code="CODE-B", state=query["state"])
    assert response.status_code == 302 and response["Location"] == "/"
    assert wechat_api.calls("/sns/userinfo") == 0
    with tenant_context(tenant):
        [identity] = ChannelIdentity.objects.all()
        assert (identity.kind, identity.external_id) == ("wechat_openid", OA_OPENID)
    assert session_customer(tenant, client) == identity.customer_id


def _tampered(state: str) -> str:
    return state[:-1] + ("0" if state[-1] != "0" else "1")


def test_forged_foreign_expired_and_replayed_states_are_refused(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    client = browser(tenant)
    _, query = start(client, channel, scope="snsapi_userinfo")
    state = query["state"]
    wechat_api.grant("CODE-1", OA_OPENID, scope="snsapi_userinfo", unionid=UNIONID)
    other_browser = browser(tenant)
    other_channel = make_channel(tenant)
    refused = [
        callback(client, channel, code="CODE-1", state=_tampered(state)),
        callback(client, channel, code="CODE-1", state=""),
        callback(client, channel, code="CODE-1", state="x" * 80),
        callback(client, channel, code="CODE-1"),
        callback(other_browser, channel, code="CODE-1", state=state),  # a stolen state, another session
        callback(client, other_channel, code="CODE-1", state=state),  # made for another channel
    ]
    with mock.patch("channels_app.views_wechat_oauth.time") as clock:
        clock.time.return_value = time.time() + 601
        refused.append(callback(client, channel, code="CODE-1", state=state))
    for response in refused:
        assert response.status_code == 400
        assert "text/html" in response["Content-Type"]
        assert "not valid" in response.content.decode()
    assert written(tenant) == (0, 0) and session_customer(tenant, client) is None
    assert wechat_api.calls("/sns/oauth2/access_token") == 0  # nothing reached WeChat
    # The real state still works once...
    assert callback(client, channel, code="CODE-1", state=state).status_code == 302
    assert written(tenant) == (1, 2)
    # ...and never again, even with a fresh code.
    wechat_api.grant("CODE-2", "oSomeoneElse", scope="snsapi_userinfo")
    assert callback(client, channel, code="CODE-2", state=state).status_code == 400
    assert written(tenant) == (1, 2)


def test_missing_code_and_wechat_errors_write_nothing(two_tenants: TwoTenants, wechat_api: FakeWeChatApi) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    client = browser(tenant)
    _, declined = start(client, channel, scope="snsapi_userinfo")
    response = callback(client, channel, state=declined["state"])  # the user said no: no code
    assert response.status_code == 400 and "declined" in response.content.decode()
    _, query = start(client, channel)
    response = callback(client, channel, code="NOT-GRANTED", state=query["state"])  # 40029 invalid code
    assert response.status_code == 400 and "did not confirm" in response.content.decode()
    _, query = start(client, channel)
    wechat_api.fail_next("/sns/oauth2/access_token", http_status=503)
    wechat_api.grant("CODE-X", OA_OPENID)
    assert callback(client, channel, code="CODE-X", state=query["state"]).status_code == 502
    assert written(tenant) == (0, 0) and session_customer(tenant, client) is None


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example", "//evil.example/x", "/\\evil.example", "http:/evil.example", "javascript:alert(1)", ""],
)
def test_next_must_be_a_path_on_this_host(two_tenants: TwoTenants, wechat_api: FakeWeChatApi, next_url: str) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    client = browser(tenant)
    _, query = start(client, channel, next=next_url)
    wechat_api.grant("CODE-N", OA_OPENID)
    response = callback(client, channel, code="CODE-N", state=query["state"])
    assert response.status_code == 302 and response["Location"] == "/"


def test_only_the_tenants_own_active_official_accounts(two_tenants: TwoTenants, wechat_api: FakeWeChatApi) -> None:
    a, b = two_tenants.a, two_tenants.b
    channel_of_a = make_channel(a)
    client_b = browser(b)
    with tenant_context(b):
        assert not Channel.objects.filter(pk=channel_of_a.pk).exists()
    assert client_b.get(f"/channels/wechat/{channel_of_a.pk}/oauth/start/").status_code == 404
    assert client_b.get(f"/channels/wechat/{channel_of_a.pk}/oauth/callback/", {"code": "c"}).status_code == 404
    # A's state is worth nothing on B, even on a channel of B with the same id.
    client_a = browser(a)
    _, query = start(client_a, channel_of_a)
    channel_of_b = make_channel(b)
    assert channel_of_b.pk == channel_of_a.pk  # ids are per schema
    wechat_api.grant("CODE-AB", OA_OPENID)
    assert callback(client_b, channel_of_b, code="CODE-AB", state=query["state"]).status_code == 400
    assert written(b) == (0, 0)
    client = browser(a)
    mini = make_channel(a, kind=ChannelKind.WECHAT_MINI_PROGRAM)
    off = make_channel(a, is_active=False)
    app = make_channel(a, kind=ChannelKind.APP)
    with tenant_context(a):
        no_secret = Channel.objects.create(
            kind=ChannelKind.WECHAT_OFFICIAL, name="x", config={"app_id": "wx1", "app_secret": ""}
        )
    for channel in (mini, off, app, no_secret):
        assert client.get(f"/channels/wechat/{channel.pk}/oauth/start/").status_code == 404
    assert client.get(f"/channels/wechat/{channel_of_a.pk}/oauth/start/", {"scope": "snsapi_login"}).status_code == 400
    assert client.post(f"/channels/wechat/{channel_of_a.pk}/oauth/start/").status_code == 405
    assert written(a) == (0, 0)
    assert APP_SECRET == channel_of_a.config["app_secret"]
