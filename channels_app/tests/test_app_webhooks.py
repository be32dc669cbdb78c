"""The APP channel's webhook: signed POSTs to a real HTTP receiver, retries, refusals and the SSRF guard."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants
from channels_app.adapters.app import webhooks
from channels_app.adapters.app.delivery import app_webhook_enqueue
from channels_app.adapters.app.webhooks import (
    address_is_public,
    webhook_signature,
    webhook_signature_verify,
    webhook_url_problem,
)
from channels_app.forms import MASK, ChannelForm
from channels_app.models import Channel, ChannelKind, DeliveryStatus, OutboundDelivery
from channels_app.services.outbox import delivery_attempt
from channels_app.testing import app_channel_with_key, backend_client
from conversations.models import Message

SECRET = "shop-webhook-secret-0123456789"


@dataclass
class Hit:
    path: str
    delivery: str
    event: str
    verified: bool
    body: dict[str, Any]


@dataclass
class Receiver:
    """The shop's backend: checks every signature, answers from a script (200 when it runs out)."""

    secret: str
    port: int = 0
    script: list[int] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    delay_s: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/cc?src=test"


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        verified = webhook_signature_verify(
            receiver.secret, self.headers.get("X-CC-Timestamp", ""), raw, self.headers.get("X-CC-Signature", "")
        )
        receiver.hits.append(
            Hit(
                self.path,
                self.headers.get("X-CC-Delivery", ""),
                self.headers.get("X-CC-Event", ""),
                verified,
                json.loads(raw),
            )
        )
        status = (receiver.script.pop(0) if receiver.script else 200) if verified else 401
        if receiver.delay_s:
            time.sleep(receiver.delay_s)
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    the_receiver = Receiver(secret=SECRET, port=server.server_address[1])
    server.receiver = the_receiver  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield the_receiver
    server.shutdown()
    server.server_close()


def _channel_with_webhook(pair: TwoTenants, url: str, secret: str = SECRET) -> tuple[Channel, str]:
    channel, raw = app_channel_with_key(pair.a)
    with tenant_context(pair.a):
        channel.config = {"webhook_url": url, "webhook_secret": secret}
        channel.save(update_fields=["config"])
    return channel, raw


def _conversation_with_reply(pair: TwoTenants, raw_key: str, reply: str = "您好，已为您查询") -> tuple[int, int]:
    """A customer writes from the APP, an agent replies over the staff API: (conversation, reply id)."""
    sent = backend_client(pair.a, raw_key).post(
        "/api/v1/app/messages/",
        {"customer": {"app_user_id": "u-42", "name": "周"}, "body": "我的快递丢了"},
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    conversation = sent.json()["conversation"]
    answered = pair.client("a", "agent").post(
        f"/api/v1/conversations/{conversation}/messages/", {"body": reply}, content_type="application/json"
    )
    assert answered.status_code == 201, answered.content
    return conversation, answered.json()["id"]


def _due_now(row_id: int) -> None:
    OutboundDelivery.objects.filter(pk=row_id).update(next_attempt_at=timezone.now())


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- signatures and settings (no database) ---------------------------------------------------


def test_the_signature_helper_accepts_the_real_thing_only() -> None:
    body = '{"id":7,"event":"message.created","data":{"body":"你好"}}'.encode()
    now = 1_760_000_000
    good = webhook_signature(SECRET, now, body)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    assert webhook_signature_verify(SECRET, str(now), body, good, now=now + 299)
    assert webhook_signature_verify(SECRET, now, body.decode(), good, now=now)
    assert not webhook_signature_verify(SECRET, now, body.replace(b"7", b"8"), good, now=now)  # tampered body
    assert not webhook_signature_verify(SECRET, now, body, good, now=now + 301)  # too old: a replay
    assert not webhook_signature_verify(SECRET, now, body, good, now=now - 301)  # from the future
    assert not webhook_signature_verify(SECRET, now + 1, body, webhook_signature(SECRET, now, body), now=now)
    assert not webhook_signature_verify("another-secret-0123456789", now, body, good, now=now)
    assert not webhook_signature_verify(SECRET, now, body, good.removeprefix("sha256="), now=now)
    assert not webhook_signature_verify(SECRET, "soon", body, good, now=now)
    assert not webhook_signature_verify("", now, body, webhook_signature("", now, body), now=now)


def test_only_public_addresses_count_as_public() -> None:
    for private in ("127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
                    "0.0.0.0", "::1", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1", "not-an-ip"):  # fmt: skip
        assert not address_is_public(private), private
    for public in ("8.8.8.8", "1.1.1.1", "2001:4860:4860::8888"):
        assert address_is_public(public), public


def test_webhook_urls_are_checked_before_anything_is_sent(settings: Any) -> None:
    settings.APP_WEBHOOK_ALLOW_HTTP, settings.APP_WEBHOOK_ALLOW_PRIVATE, settings.DEBUG = False, False, False
    assert webhook_url_problem("https://hooks.shop.example.cn/cc") is None
    for bad in (
        "http://hooks.shop.example.cn/cc",  # plain http in production
        "ftp://hooks.shop.example.cn/",
        "https:///no-host",
        "https://user:pw@hooks.shop.example.cn/",
        "https://hooks.shop.example.cn:99999/",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost/",
        "https://api.localhost/",
        "https://x.cn/" + "a" * 2000,
        "",
        None,
    ):
        assert webhook_url_problem(bad) is not None, bad
    settings.APP_WEBHOOK_ALLOW_HTTP, settings.APP_WEBHOOK_ALLOW_PRIVATE = True, True
    assert webhook_url_problem("http://127.0.0.1:8080/hook") is None


def test_the_admin_form_validates_the_webhook_and_keeps_the_secret_masked(settings: Any) -> None:
    settings.APP_WEBHOOK_ALLOW_HTTP, settings.APP_WEBHOOK_ALLOW_PRIVATE = False, False

    def form(config: dict[str, Any], instance: Channel | None = None) -> ChannelForm:
        data = {"kind": ChannelKind.APP, "name": "官方 APP", "is_active": True, "config": json.dumps(config)}
        return ChannelForm(data=data, instance=instance)

    good = {"webhook_url": "https://hooks.shop.example.cn/cc", "webhook_secret": SECRET}
    assert form(good).is_valid()
    assert form({}).is_valid()  # no webhook: the APP reads over REST and the socket
    for bad in (
        {**good, "webhook_url": "http://hooks.shop.example.cn/cc"},
        {**good, "webhook_url": "https://10.0.0.8/cc"},
        {**good, "webhook_secret": "short"},
        {"webhook_url": good["webhook_url"]},
    ):
        bound = form(bad)
        assert not bound.is_valid(), bad
        assert "config" in bound.errors and SECRET not in str(bound.errors)
    stored = Channel(pk=1, kind=ChannelKind.APP, name="官方 APP", config=good)
    assert ChannelForm(instance=stored).initial["config"]["webhook_secret"] == MASK
    kept = form({**good, "webhook_secret": MASK}, instance=stored)
    assert kept.is_valid(), kept.errors
    assert kept.cleaned_data["config"]["webhook_secret"] == SECRET


# --- delivery through the outbox -------------------------------------------------------------


def test_a_5xx_is_retried_with_the_same_delivery_id_then_delivered(two_tenants: TwoTenants, receiver: Receiver) -> None:
    receiver.script.extend([500, 200])
    channel, raw = _channel_with_webhook(two_tenants, receiver.url)
    conversation, reply_id = _conversation_with_reply(two_tenants, raw)
    with tenant_context(two_tenants.a):
        row = OutboundDelivery.objects.get()
        assert (row.channel_id, row.message_id, row.event, row.dedupe_key) == (
            channel.pk,
            reply_id,
            "message.created",
            f"msg:{reply_id}",
        )
        first = delivery_attempt(delivery_id=row.pk)
        assert first is not None and first.status == DeliveryStatus.PENDING and first.last_error == "HTTP 500"
        assert Message.objects.get(pk=reply_id).delivered_at is None
        _due_now(row.pk)
        second = delivery_attempt(delivery_id=row.pk)
        assert second is not None and second.status == DeliveryStatus.DELIVERED and second.attempts == 2
        assert Message.objects.get(pk=reply_id).delivered_at is not None
        # Enqueuing the same message again finds the same row.
        assert app_webhook_enqueue(channel=channel, message_id=reply_id) == row
        assert OutboundDelivery.objects.count() == 1
    assert [(h.delivery, h.event, h.verified, h.path) for h in receiver.hits] == [
        (str(row.pk), "message.created", True, "/hooks/cc?src=test")
    ] * 2
    data = receiver.hits[0].body
    assert data["id"] == row.pk and data["event"] == "message.created"
    assert data["data"]["app_user_id"] == "u-42" and data["data"]["body"] == "您好，已为您查询"
    assert (data["data"]["conversation"], data["data"]["id"], data["data"]["seq"]) == (conversation, reply_id, 2)
    assert data["data"]["direction"] == "out" and data["data"]["sender_type"] == "agent"
    with tenant_context(two_tenants.b):
        assert not OutboundDelivery.objects.exists()


@pytest.mark.parametrize("status", [400, 404, 302])
def test_other_4xx_and_redirects_fail_for_good(two_tenants: TwoTenants, receiver: Receiver, status: int) -> None:
    receiver.script.append(status)
    _, raw = _channel_with_webhook(two_tenants, receiver.url)
    _, reply_id = _conversation_with_reply(two_tenants, raw)
    with tenant_context(two_tenants.a):
        row = OutboundDelivery.objects.get()
        done = delivery_attempt(delivery_id=row.pk)
        assert done is not None and done.status == DeliveryStatus.FAILED and done.attempts == 1
        assert done.next_attempt_at is None and done.last_error.startswith(f"HTTP {status}")
        assert delivery_attempt(delivery_id=row.pk) is None  # never sent again
        assert Message.objects.get(pk=reply_id).delivered_at is None
    assert [h.path for h in receiver.hits] == ["/hooks/cc?src=test"]  # the redirect was not followed


@pytest.mark.parametrize("status", [408, 429, 503])
def test_busy_receivers_are_retried(two_tenants: TwoTenants, receiver: Receiver, status: int) -> None:
    receiver.script.append(status)
    _, raw = _channel_with_webhook(two_tenants, receiver.url)
    _conversation_with_reply(two_tenants, raw)
    with tenant_context(two_tenants.a):
        done = delivery_attempt(delivery_id=OutboundDelivery.objects.get().pk)
        assert done is not None and done.status == DeliveryStatus.PENDING and done.last_error == f"HTTP {status}"


def test_a_receiver_that_rejects_the_signature_gets_nothing_marked(two_tenants: TwoTenants, receiver: Receiver) -> None:
    _, raw = _channel_with_webhook(two_tenants, receiver.url, secret="not-the-shops-secret-000")
    _, reply_id = _conversation_with_reply(two_tenants, raw)
    with tenant_context(two_tenants.a):
        done = delivery_attempt(delivery_id=OutboundDelivery.objects.get().pk)
        assert done is not None and done.status == DeliveryStatus.FAILED and done.last_error == "HTTP 401"
        assert Message.objects.get(pk=reply_id).delivered_at is None
    assert [h.verified for h in receiver.hits] == [False]


def test_timeouts_and_refused_connections_are_retried(
    two_tenants: TwoTenants, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webhooks, "TOTAL_TIMEOUT_S", 0.3)
    receiver.delay_s = 1.0
    channel, raw = _channel_with_webhook(two_tenants, receiver.url)
    _conversation_with_reply(two_tenants, raw)
    with tenant_context(two_tenants.a):
        row = OutboundDelivery.objects.get()
        started = time.monotonic()
        slow = delivery_attempt(delivery_id=row.pk)
        assert time.monotonic() - started < 0.9
        assert slow is not None and slow.status == DeliveryStatus.PENDING and "0.3 s" in slow.last_error
        channel.config = {**channel.config, "webhook_url": f"http://127.0.0.1:{_closed_port()}/hook"}
        channel.save(update_fields=["config"])
        _due_now(row.pk)
        refused = delivery_attempt(delivery_id=row.pk)
        assert refused is not None and refused.status == DeliveryStatus.PENDING
        assert "ConnectionRefused" in refused.last_error


def test_private_addresses_and_plain_http_are_refused_in_production(
    two_tenants: TwoTenants, receiver: Receiver, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel, raw = _channel_with_webhook(two_tenants, receiver.url)
    _conversation_with_reply(two_tenants, raw)
    settings.APP_WEBHOOK_ALLOW_PRIVATE = False
    real_getaddrinfo = socket.getaddrinfo

    def fake_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.shop.example.cn":  # a public-looking name that resolves into the office network
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.8", 443))]
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with tenant_context(two_tenants.a):
        row = OutboundDelivery.objects.get()
        for url, error in (
            (receiver.url, "bad webhook_url"),
            ("https://hooks.shop.example.cn/cc", "non-public address (10.0.0.8)"),
        ):
            channel.config = {**channel.config, "webhook_url": url}
            channel.save(update_fields=["config"])
            OutboundDelivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING)
            _due_now(row.pk)
            done = delivery_attempt(delivery_id=row.pk)
            assert done is not None and done.status == DeliveryStatus.FAILED and error in done.last_error, url
        settings.APP_WEBHOOK_ALLOW_PRIVATE, settings.APP_WEBHOOK_ALLOW_HTTP = True, False
        channel.config = {**channel.config, "webhook_url": receiver.url}
        channel.save(update_fields=["config"])
        OutboundDelivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.PENDING)
        _due_now(row.pk)
        done = delivery_attempt(delivery_id=row.pk)
        assert done is not None and done.status == DeliveryStatus.FAILED and "https://" in done.last_error
    assert receiver.hits == []


def test_no_webhook_no_delivery(two_tenants: TwoTenants) -> None:
    _, raw = app_channel_with_key(two_tenants.a)
    _conversation_with_reply(two_tenants, raw)
    with tenant_context(two_tenants.a):
        assert not OutboundDelivery.objects.exists()
        # A WeChat channel's messages are not this adapter's business, webhook or not.
        wechat = Channel.objects.create(
            kind=ChannelKind.WECHAT_OFFICIAL,
            name="公众号",
            config={"webhook_url": "https://x.cn/", "webhook_secret": SECRET},
        )
        assert app_webhook_enqueue(channel=wechat, message_id=Message.objects.get(seq=2).pk) is None
        assert not OutboundDelivery.objects.exists()


def test_a_real_worker_delivers_an_agents_reply(
    two_tenants: TwoTenants, receiver: Receiver, celery_worker: object
) -> None:
    _, raw = _channel_with_webhook(two_tenants, receiver.url)
    _, reply_id = _conversation_with_reply(two_tenants, raw, reply="请查收退款")
    deadline = time.monotonic() + 8
    with tenant_context(two_tenants.a):
        while time.monotonic() < deadline:
            row = OutboundDelivery.objects.get()
            if row.status != DeliveryStatus.PENDING:
                break
            time.sleep(0.05)
        assert row.status == DeliveryStatus.DELIVERED and row.attempts == 1
        assert Message.objects.get(pk=reply_id).delivered_at is not None
    assert [(h.delivery, h.verified, h.body["data"]["body"]) for h in receiver.hits] == [
        (str(row.pk), True, "请查收退款")
    ]
