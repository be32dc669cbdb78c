"""Test helpers for the APP channel: a channel with a key, and a client of the shop's backend."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import host_of
from channels_app.models import Channel, ChannelKind
from channels_app.services.keys import channel_api_key_create


def app_channel_with_key(tenant: Any, name: str = "官方 APP") -> tuple[Channel, str]:
    with tenant_context(tenant):
        channel = Channel.objects.create(kind=ChannelKind.APP, name=name)
        _key, raw = channel_api_key_create(channel=channel, name="backend")
    return channel, raw


def backend_client(tenant: Any, raw_key: str) -> Client:
    """The shop's backend calling the tenant's host with its channel key."""
    return Client(HTTP_HOST=host_of(tenant), HTTP_AUTHORIZATION=f"Bearer {raw_key}")


def app_client(tenant: Any) -> Client:
    return backend_client(tenant, app_channel_with_key(tenant)[1])


def widget_channel(tenant: Any, *, origins: tuple[str, ...] = ("https://shop.example.cn",), **config: Any) -> Channel:
    with tenant_context(tenant):
        return Channel.objects.create(
            kind=ChannelKind.WEB_WIDGET, name="官网客服", config={"allowed_origins": list(origins), **config}
        )


def visitor_token(tenant: Any, channel: Channel) -> str:
    from channels_app.adapters.widget.tokens import visitor_token_issue

    with tenant_context(tenant):
        return visitor_token_issue(channel=channel)[1]
