"""Channel API keys: shown once, stored hashed, revocable, and valid only on their own tenant's host."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from django.test import Client
from django_tenants.utils import schema_context, tenant_context

from callcenter.core.testing import TwoTenants, host_of, tenant_client
from channels_app.authentication import ChannelPrincipal
from channels_app.models import Channel, ChannelApiKey, ChannelKind
from channels_app.selectors import channel_app_user_namespace, channel_for_api_key
from channels_app.services.keys import channel_api_key_create, channel_api_key_revoke
from customers.models import Customer, Order
from tenants.models import AuditEvent, Tenant

SYNC = "/api/v1/app/orders/sync/"
ORDER = {
    "order_no": "SO-1",
    "status": "paid",
    "amount": "10.00",
    "placed_at": "2026-11-24T10:00:00+08:00",
    "updated_at": "2026-11-24T10:00:00+08:00",
    "customer": {"app_user_id": "u-1"},
}


def make_channel(tenant: Tenant, kind: str = ChannelKind.APP, **fields: Any) -> Channel:
    with tenant_context(tenant):
        return Channel.objects.create(kind=kind, name=fields.pop("name", f"{kind} 渠道"), **fields)


def make_key(tenant: Tenant, channel: Channel) -> tuple[ChannelApiKey, str]:
    with tenant_context(tenant):
        return channel_api_key_create(channel=channel, name="shop backend", actor="test")


def call(tenant: Tenant, raw: str | None, *, authorization: str | None = None) -> Any:
    headers = {}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    elif raw is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    client = Client(HTTP_HOST=host_of(tenant), **headers)
    return client.post(SYNC, json.dumps({"items": [ORDER]}), content_type="application/json")


def orders_in(tenant: Tenant) -> int:
    with tenant_context(tenant):
        return Order.objects.count()


def test_a_key_is_returned_once_and_only_its_hash_is_stored(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    key, raw = make_key(tenant, channel)

    assert raw.startswith("chk_") and len(raw) > 40
    with tenant_context(tenant):
        stored = ChannelApiKey.objects.get(pk=key.pk)
        assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
        assert stored.prefix == raw[:12]
        assert raw not in json.dumps(list(ChannelApiKey.objects.values()), default=str)
        assert channel_for_api_key(raw) == channel
        assert channel_for_api_key(raw + "x") is None
        assert channel_for_api_key("rsk_" + raw[4:]) is None
    with schema_context("public"):
        event = AuditEvent.objects.get(action="channel.api_key_created")
        assert event.tenant_id == tenant.pk and event.detail["prefix"] == raw[:12]
        assert raw not in json.dumps(event.detail)


def test_the_admin_action_shows_the_key_once_as_a_warning(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant, name="官方 APP")
    staff = tenant_client(tenant, "staff")

    response = staff.post(
        "/admin/channels_app/channel/",
        {"action": "create_api_key", "_selected_action": [channel.pk]},
        follow=True,
    )
    assert response.status_code == 200
    shown = [m for m in response.context["messages"] if "chk_" in str(m)]
    assert len(shown) == 1 and shown[0].level_tag == "warning"
    found = re.search(r"chk_[A-Za-z0-9_-]+", str(shown[0]))
    assert found is not None
    raw = found[0]
    with tenant_context(tenant):
        assert channel_for_api_key(raw) == channel

    # Never again: not on the next page, not in the key list, not on the channel's page.
    for path in (
        "/admin/channels_app/channel/",
        "/admin/channels_app/channelapikey/",
        f"/admin/channels_app/channel/{channel.pk}/change/",
    ):
        page = staff.get(path)
        assert page.status_code == 200
        assert raw not in page.content.decode()
        assert hashlib.sha256(raw.encode()).hexdigest() not in page.content.decode()
    assert staff.get("/admin/channels_app/channelapikey/add/").status_code == 403

    # The key answers the API; the admin's "revoke" action turns it off.
    assert call(tenant, raw).status_code == 200
    with tenant_context(tenant):
        key_pk = ChannelApiKey.objects.get().pk
    staff.post("/admin/channels_app/channelapikey/", {"action": "revoke", "_selected_action": [key_pk]})
    assert call(tenant, raw).status_code == 401


def test_missing_forged_malformed_and_revoked_keys_get_401(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    key, raw = make_key(tenant, make_channel(tenant))

    assert call(tenant, None).status_code == 401
    assert call(tenant, "chk_forged").status_code == 401
    assert call(tenant, None, authorization=f"Bearer {raw} extra").status_code == 401
    response = call(tenant, raw)
    assert response.status_code == 200, response.content
    with tenant_context(tenant):
        assert ChannelApiKey.objects.get(pk=key.pk).last_used_at is not None
        channel_api_key_revoke(key=key, actor="test")
        first_revocation = ChannelApiKey.objects.get(pk=key.pk).revoked_at
        channel_api_key_revoke(key=key, actor="test")  # twice is harmless
        assert ChannelApiKey.objects.get(pk=key.pk).revoked_at == first_revocation
    assert orders_in(tenant) == 1

    revoked = call(tenant, raw)
    assert revoked.status_code == 401
    assert revoked["WWW-Authenticate"] == "Bearer"
    assert orders_in(tenant) == 1
    with schema_context("public"):
        assert AuditEvent.objects.filter(action="channel.api_key_revoked").count() == 1


def test_a_key_of_an_inactive_channel_gets_401(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant, is_active=False)
    _, raw = make_key(tenant, channel)
    assert call(tenant, raw).status_code == 401
    assert orders_in(tenant) == 0


def test_tenant_as_key_on_tenant_bs_host_gets_401_and_writes_nothing(two_tenants: TwoTenants) -> None:
    """Keys live in A's schema: B's host looks in B's schema and finds nothing."""
    _, raw_a = make_key(two_tenants.a, make_channel(two_tenants.a))
    make_key(two_tenants.b, make_channel(two_tenants.b))

    response = call(two_tenants.b, raw_a)
    assert response.status_code == 401
    assert orders_in(two_tenants.b) == 0 and orders_in(two_tenants.a) == 0
    with tenant_context(two_tenants.b):
        assert Customer.objects.count() == 0
    # The key is not usable on the public host either (no tenant API there).
    public = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw_a}")
    assert public.post(SYNC, "{}", content_type="application/json").status_code == 404


@pytest.mark.parametrize("kind", [ChannelKind.WEB_WIDGET, ChannelKind.WECHAT_OFFICIAL, ChannelKind.WECHAT_MINI_PROGRAM])
def test_a_key_of_a_non_app_channel_gets_403(two_tenants: TwoTenants, kind: str) -> None:
    tenant = two_tenants.a
    _, raw = make_key(tenant, make_channel(tenant, kind=kind))
    response = call(tenant, raw)
    assert response.status_code == 403
    assert orders_in(tenant) == 0


def test_a_staff_session_is_not_a_channel_key(two_tenants: TwoTenants) -> None:
    staff = two_tenants.client("a")
    response = staff.post(SYNC, json.dumps({"items": [ORDER]}), content_type="application/json")
    assert response.status_code == 401
    assert orders_in(two_tenants.a) == 0


def test_the_principal_is_counted_per_tenant_and_channel(two_tenants: TwoTenants) -> None:
    channel_a, channel_b = make_channel(two_tenants.a), make_channel(two_tenants.b)
    key_a, _ = make_key(two_tenants.a, channel_a)
    key_b, _ = make_key(two_tenants.b, channel_b)
    assert channel_a.pk == channel_b.pk  # ids repeat across schemas...
    principal_a = ChannelPrincipal(channel_a, key_a, two_tenants.a.pk)
    principal_b = ChannelPrincipal(channel_b, key_b, two_tenants.b.pk)
    assert principal_a.pk != principal_b.pk  # ...rate-limit identities do not
    assert f"channel-{channel_a.pk}" in str(principal_a.pk)
    assert principal_a.is_authenticated and not principal_a.is_anonymous


def test_app_user_namespace_defaults_to_one_per_tenant() -> None:
    assert channel_app_user_namespace(Channel(kind=ChannelKind.APP, name="x")) == ""
    assert channel_app_user_namespace(Channel(kind="app", name="x", config={"app_user_namespace": "brand-2"})) == (
        "brand-2"
    )
    assert channel_app_user_namespace(Channel(kind="app", name="x", config={"app_user_namespace": 7})) == ""


def test_channel_secrets_are_masked_in_the_admin_and_kept_on_save(two_tenants: TwoTenants) -> None:
    import json

    from callcenter.core.testing import tenant_client

    with tenant_context(two_tenants.a):
        channel = Channel.objects.create(
            kind="wechat_official",
            name="公众号",
            config={"token": "s3cret-token", "app_id": "wx123", "encoding_aes_key": "k" * 43},
        )
    client = tenant_client(two_tenants.a, "staff")
    page = client.get(f"/admin/channels_app/channel/{channel.pk}/change/").content.decode()
    assert "s3cret-token" not in page and "k" * 43 not in page and "wx123" in page
    form = {
        "kind": "wechat_official",
        "name": "公众号",
        "is_active": "on",
        "config": json.dumps({"token": "********", "app_id": "wx999", "encoding_aes_key": "n" * 43}),
        "api_keys-TOTAL_FORMS": "0",
        "api_keys-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/channels_app/channel/{channel.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(two_tenants.a):
        channel.refresh_from_db()
    assert channel.config == {"token": "s3cret-token", "app_id": "wx999", "encoding_aes_key": "n" * 43}
