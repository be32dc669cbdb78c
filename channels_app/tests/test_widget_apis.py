"""The widget's HTTP side: settings and CORS per widget, visitor tokens, uploads and signed file links."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of
from channels_app.adapters.widget.services import widget_message_send
from channels_app.adapters.widget.tokens import visitor_token_read
from channels_app.apis_widget import WidgetVisitorThrottle
from channels_app.testing import visitor_token, widget_channel
from conversations.models import Message

SHOP = "https://shop.example.cn"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _client(tenant: Any, **headers: str) -> Client:
    return Client(HTTP_HOST=host_of(tenant), **{f"HTTP_{k.upper()}": v for k, v in headers.items()})


def _upload(client: Client, channel_id: int, token: str, name: str, data: bytes, content_type: str) -> Any:
    return client.post(
        f"/channels/widget/{channel_id}/uploads/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        HTTP_AUTHORIZATION=f"Visitor {token}",
    )


def test_settings_and_cors_only_for_the_widgets_sites(two_tenants: TwoTenants) -> None:
    channel = widget_channel(two_tenants.a, color="#ff6600", topics=["售后"])
    shop = _client(two_tenants.a, origin=SHOP)
    answer = shop.get(f"/channels/widget/{channel.pk}/config/")
    assert answer.status_code == 200 and answer.json()["color"] == "#ff6600" and answer.json()["topics"] == ["售后"]
    assert answer["Access-Control-Allow-Origin"] == SHOP and "allowed_origins" not in answer.json()
    preflight = shop.options(f"/channels/widget/{channel.pk}/visitors/")
    assert preflight.status_code == 204 and preflight["Access-Control-Allow-Origin"] == SHOP
    evil = _client(two_tenants.a, origin="https://evil.example.com").get(f"/channels/widget/{channel.pk}/config/")
    assert "Access-Control-Allow-Origin" not in evil
    # Tenant B has no widget with that id: 404, and nothing about A leaks.
    assert _client(two_tenants.b, origin=SHOP).get(f"/channels/widget/{channel.pk}/config/").status_code == 404


def test_visitor_tokens_are_per_tenant_and_rate_limited(two_tenants: TwoTenants, monkeypatch: Any) -> None:
    channel = widget_channel(two_tenants.a)
    shop = _client(two_tenants.a, origin=SHOP)
    made = shop.post(f"/channels/widget/{channel.pk}/visitors/")
    assert made.status_code == 201
    with tenant_context(two_tenants.a):
        assert visitor_token_read(made.json()["token"], channel=channel) is not None
    with tenant_context(two_tenants.b):
        assert visitor_token_read(made.json()["token"], channel=channel) is None
    monkeypatch.setattr(WidgetVisitorThrottle, "THROTTLE_RATES", {"widget_visitor": "3/minute"})
    codes = [shop.post(f"/channels/widget/{channel.pk}/visitors/").status_code for _ in range(5)]
    assert codes.count(429) >= 2
    # Another address still gets its tokens.
    elsewhere = Client(HTTP_HOST=host_of(two_tenants.a), REMOTE_ADDR="10.1.2.3")
    assert elsewhere.post(f"/channels/widget/{channel.pk}/visitors/").status_code == 201


def test_uploads_check_the_bytes_and_the_size(two_tenants: TwoTenants) -> None:
    channel = widget_channel(two_tenants.a, max_upload_mb=1)
    token = visitor_token(two_tenants.a, channel)
    shop = _client(two_tenants.a, origin=SHOP)
    stored_before = _stored_files(two_tenants.a)
    for name, data, content_type in (
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),  # a page dressed as a photo
        ("photo.png", PNG, "image/jpeg"),  # the bytes say PNG
        ("big.png", PNG + b"\x00" * (1024 * 1024), "image/png"),
        ("run.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/octet-stream"),
        ("page.txt", b"  <svg onload=alert(1)>", "text/plain"),
    ):
        answer = _upload(shop, channel.pk, token, name, data, content_type)
        assert answer.status_code == 400, (name, answer.content)
    assert _upload(shop, channel.pk, "forged", "a.png", PNG, "image/png").status_code == 401
    assert _stored_files(two_tenants.a) == stored_before


def test_an_uploaded_picture_is_attached_and_served_through_its_signed_link(two_tenants: TwoTenants) -> None:
    channel = widget_channel(two_tenants.a)
    token = visitor_token(two_tenants.a, channel)
    shop = _client(two_tenants.a, origin=SHOP)
    uploaded = _upload(shop, channel.pk, token, "../../退货照片.png", PNG, "image/png")
    assert uploaded.status_code == 201, uploaded.content
    body = uploaded.json()
    assert body["name"] == "退货照片.png" and body["content_type"] == "image/png" and body["size"] == len(PNG)
    with tenant_context(two_tenants.a):
        visitor = visitor_token_read(token, channel=channel)
        assert visitor is not None
        received = widget_message_send(visitor=visitor, body="", attachments=[body["reference"]])
        message = Message.objects.get(pk=received.message.pk)
    assert message.kind == "image" and message.attachments[0]["url"] == body["url"]
    served = _client(two_tenants.a).get(body["url"])
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    # The link names its tenant: on B's host it is nothing; a tampered link is nothing too.
    assert _client(two_tenants.b).get(body["url"]).status_code == 404
    assert _client(two_tenants.a).get(body["url"].rstrip("/") + "x/").status_code == 404
    # Another visitor cannot attach this visitor's upload.
    other = visitor_token(two_tenants.a, channel)
    with tenant_context(two_tenants.a):
        stranger = visitor_token_read(other, channel=channel)
        assert stranger is not None
        with pytest.raises(ValidationError) as refused:
            widget_message_send(visitor=stranger, body="x", attachments=[body["reference"]])
        assert list(refused.value.message_dict) == ["attachments"]
        assert Message.objects.count() == 1


def _stored_files(tenant: Any) -> list[str]:
    prefix = f"t{tenant.pk}/widget"
    found: list[str] = []

    def walk(path: str) -> None:
        if not default_storage.exists(path):
            return
        dirs, files = default_storage.listdir(path)
        found.extend(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}")

    walk(prefix)
    return found
