"""The WeChat webhook: every push is verified before it is read, stored once, then processed."""

from __future__ import annotations

import base64
import os
import struct
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of
from channels_app.adapters.wechat.inbound import MAX_BODY_BYTES, nonce_key
from channels_app.models import Channel, ChannelKind, WeChatInboxMessage
from channels_app.tasks import process_wechat_message
from channels_app.tests.fake_wechat import (
    AES_KEY,
    APP_ID,
    OPENID,
    TOKEN,
    FakeWeChat,
    event_xml,
    image_xml,
    pkcs7_32,
    seal,
    text_xml,
    voice_xml,
)
from customers.models import ChannelIdentity
from tenants.models import Tenant

CHINESE = "  你好，我的订单 <b>SO-1</b> & 'quote' \"双引号\" 还没发货😀\n第二行  "


@pytest.fixture
def queued() -> Iterator[mock.MagicMock]:
    """The task's queueing, recorded instead of sent (one test below uses a real worker)."""
    with mock.patch("channels_app.adapters.wechat.services.process_wechat_message") as task:
        yield task.delay_on_commit


def make_channel(
    tenant: Tenant, *, safe: bool = True, kind: str = ChannelKind.WECHAT_OFFICIAL, **fields: Any
) -> Channel:
    config = {"token": TOKEN, "app_id": APP_ID, "app_secret": "s3cret"}
    if safe:
        config["encoding_aes_key"] = AES_KEY
    with tenant_context(tenant):
        return Channel.objects.create(kind=kind, name="公众号", config=config, **fields)


def url(channel: Channel, query: dict[str, str]) -> str:
    return f"/channels/wechat/{channel.pk}/?{urlencode(query)}"


def post(tenant: Tenant, channel: Channel, query: dict[str, str], body: bytes) -> Any:
    return Client(HTTP_HOST=host_of(tenant)).post(url(channel, query), data=body, content_type="text/xml")


def rows(tenant: Tenant) -> list[WeChatInboxMessage]:
    with tenant_context(tenant):
        return list(WeChatInboxMessage.objects.order_by("pk"))


def nonce_burned(tenant: Tenant, channel: Channel, nonce: str) -> bool:
    with tenant_context(tenant):
        return cache.get(nonce_key(channel, nonce)) is not None


def assert_refused(tenant: Tenant, channel: Channel, query: dict[str, str], body: bytes, status: int) -> None:
    response = post(tenant, channel, query, body)
    assert response.status_code == status, response.content
    assert response.content != b"success"
    assert rows(tenant) == []


# --- the URL check -----------------------------------------------------------------------


def test_echostr_is_answered_only_when_the_signature_holds(two_tenants: TwoTenants) -> None:
    channel = make_channel(two_tenants.a)
    client = Client(HTTP_HOST=host_of(two_tenants.a))
    ok = client.get(url(channel, FakeWeChat().echostr_query()))
    assert ok.status_code == 200
    assert ok.content == b"6588419148497920000"
    assert ok["Content-Type"].startswith("text/plain")
    for query in (
        FakeWeChat(token="another-token").echostr_query(),
        FakeWeChat().echostr_query(nonce="1"),  # the signature was over another nonce
        FakeWeChat().echostr_query(signature=""),
        {"echostr": "6588419148497920000"},
        FakeWeChat().echostr_query(echostr="<script>alert(1)</script>"),
    ):
        refused = client.get(url(channel, query))
        assert refused.status_code == 403
        assert b"6588419148497920000" not in refused.content and b"script" not in refused.content


def test_only_get_and_post(two_tenants: TwoTenants) -> None:
    channel = make_channel(two_tenants.a)
    response = Client(HTTP_HOST=host_of(two_tenants.a)).put(url(channel, FakeWeChat().echostr_query()))
    assert response.status_code == 405


# --- accepted pushes ---------------------------------------------------------------------


def test_plaintext_text_message_is_stored_and_processed_into_a_customer(
    two_tenants: TwoTenants, queued: mock.MagicMock
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant, safe=False)
    query, body = FakeWeChat(aes_key=None).push(text_xml("你好"))
    response = post(tenant, channel, query, body)
    assert response.status_code == 200
    assert response.content == b"success"
    assert response["Content-Type"].startswith("text/plain")
    [row] = rows(tenant)
    assert (row.msg_type, row.openid, row.app_id, row.dedupe_key) == ("text", OPENID, APP_ID, "msg:23456789012345678")
    assert row.payload["Content"] == "你好" and row.processed_at is None and row.customer_id is None
    queued.assert_called_once_with(row.pk)

    with tenant_context(tenant):
        process_wechat_message(row.pk)
        row.refresh_from_db()
        assert row.processed_at is not None and row.customer_id is not None
        identity = ChannelIdentity.objects.get(kind="wechat_openid", namespace=APP_ID, external_id=OPENID)
        assert identity.customer_id == row.customer_id
        first = row.processed_at
        from conversations.models import Message

        [message] = Message.objects.all()
        assert (message.body, message.kind, message.channel_id, message.seq) == ("你好", "text", channel.pk, 1)
        assert message.conversation.customer_id == row.customer_id
        process_wechat_message(row.pk)  # a redelivered task changes nothing
        row.refresh_from_db()
        assert row.processed_at == first
        assert ChannelIdentity.objects.count() == 1 and Message.objects.count() == 1


def test_aes_text_message_round_trips_chinese_and_markup_exactly(
    two_tenants: TwoTenants, queued: mock.MagicMock
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant, kind=ChannelKind.WECHAT_MINI_PROGRAM)
    query, body = FakeWeChat().push(text_xml(CHINESE, UnionId="o6_bmasdasdsad6_2sgVt7hMZOPfL"))
    assert CHINESE.encode() not in body  # it really went encrypted
    response = post(tenant, channel, query, body)
    assert response.status_code == 200 and response.content == b"success"
    [row] = rows(tenant)
    assert row.payload["Content"] == CHINESE
    with tenant_context(tenant):
        process_wechat_message(row.pk)
        row.refresh_from_db()
        unionid = ChannelIdentity.objects.get(kind="wechat_unionid", external_id="o6_bmasdasdsad6_2sgVt7hMZOPfL")
        assert unionid.customer_id == row.customer_id


@pytest.mark.parametrize(
    ("xml", "msg_type", "dedupe_prefix", "field", "value"),
    [
        (image_xml(), "image", "msg:1001", "MediaId", "media_image_1"),
        (voice_xml(), "voice", "msg:1002", "Format", "amr"),
        (
            event_xml("subscribe", create_time=1700000000),
            "event",
            f"event:{OPENID}:1700000000:subscribe",
            "Event",
            "subscribe",
        ),
        (
            event_xml("unsubscribe", create_time=1700000001),
            "event",
            f"event:{OPENID}:1700000001:unsubscribe",
            "Event",
            "unsubscribe",
        ),
        (
            event_xml("CLICK", key="MENU_售后", create_time=1700000002),
            "event",
            f"event:{OPENID}:1700000002:CLICK",
            "EventKey",
            "MENU_售后",
        ),
    ],
)
def test_image_voice_and_events_are_stored(
    two_tenants: TwoTenants, queued: mock.MagicMock, xml: str, msg_type: str, dedupe_prefix: str, field: str, value: str
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    response = post(tenant, channel, *FakeWeChat().push(xml))
    assert response.status_code == 200 and response.content == b"success"
    [row] = rows(tenant)
    assert (row.msg_type, row.dedupe_key, row.payload[field]) == (msg_type, dedupe_prefix, value)
    with tenant_context(tenant):
        process_wechat_message(row.pk)
        row.refresh_from_db()
        assert row.customer_id is not None


def test_an_unhandled_type_is_answered_success_and_not_stored(two_tenants: TwoTenants, queued: mock.MagicMock) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    location = text_xml("").replace("<MsgType><![CDATA[text]]>", "<MsgType><![CDATA[location]]>")
    for xml in (location, event_xml("VIEW", key="https://example.cn")):
        response = post(tenant, channel, *FakeWeChat().push(xml))
        assert response.status_code == 200 and response.content == b"success"
    assert rows(tenant) == []
    queued.assert_not_called()


def test_the_same_msgid_three_times_stores_one_row(two_tenants: TwoTenants, queued: mock.MagicMock) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    xml = text_xml("在吗", msg_id=777)
    for _ in range(3):  # WeChat's retries: the same message, each a new signed request
        response = post(tenant, channel, *FakeWeChat().push(xml))
        assert response.status_code == 200 and response.content == b"success"
    [row] = rows(tenant)
    assert row.dedupe_key == "msg:777"
    queued.assert_called_once_with(row.pk)
    # The same event retried also lands once.
    for _ in range(3):
        assert (
            post(tenant, channel, *FakeWeChat().push(event_xml("subscribe", create_time=1700000000))).status_code == 200
        )
    assert len(rows(tenant)) == 2


def test_a_real_worker_processes_the_message_in_the_tenants_schema(
    two_tenants: TwoTenants, celery_worker: object
) -> None:
    tenant = two_tenants.b
    channel = make_channel(tenant)
    assert post(tenant, channel, *FakeWeChat().push(text_xml("你好"))).status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and rows(tenant)[0].processed_at is None:
        time.sleep(0.05)
    [row] = rows(tenant)
    assert row.processed_at is not None and row.customer_id is not None
    with tenant_context(two_tenants.a):
        assert not ChannelIdentity.objects.exists()


# --- refused pushes: status, nothing stored, and no nonce burned before the signature ------


def test_a_wrong_signature_is_refused_without_burning_the_nonce(
    two_tenants: TwoTenants, queued: mock.MagicMock
) -> None:
    tenant = two_tenants.a
    for safe in (True, False):
        channel = make_channel(tenant, safe=safe)
        query, body = FakeWeChat(token="not-the-token", aes_key=AES_KEY if safe else None).push(text_xml("x"))
        assert_refused(tenant, channel, query, body, 403)
        assert not nonce_burned(tenant, channel, query["nonce"])
        good_query, good_body = FakeWeChat(aes_key=AES_KEY if safe else None).push(text_xml("x"))
        tampered = good_body.replace(b"<xml>", b"<xml><Encrypt><![CDATA[QUJD]]></Encrypt>") if safe else good_body
        if safe:  # a second <Encrypt> the signature might not cover
            assert_refused(tenant, channel, good_query, tampered, 403)
        name = "msg_signature" if safe else "signature"  # the one each mode checks
        bad = {**good_query, name: good_query[name][:-1] + ("0" if good_query[name][-1] != "0" else "1")}
        assert_refused(tenant, channel, bad, good_body, 403)
        assert not nonce_burned(tenant, channel, good_query["nonce"])
    queued.assert_not_called()


def test_msg_signature_and_signature_are_never_taken_for_each_other(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    safe = make_channel(tenant)
    query, body = FakeWeChat().push(text_xml("x"))
    # Safe mode: a valid plain signature does not stand in for msg_signature.
    without = {k: v for k, v in query.items() if k != "msg_signature"}
    assert_refused(tenant, safe, without, body, 403)
    assert_refused(tenant, safe, {**query, "msg_signature": query["signature"]}, body, 403)
    assert not nonce_burned(tenant, safe, query["nonce"])
    # Plaintext mode: a msg_signature in place of signature is refused too.
    plain = make_channel(tenant, safe=False)
    query, body = FakeWeChat(aes_key=None).push(text_xml("x"))
    swapped = {"msg_signature": query["signature"], "timestamp": query["timestamp"], "nonce": query["nonce"]}
    assert_refused(tenant, plain, swapped, body, 403)
    assert not nonce_burned(tenant, plain, query["nonce"])


@pytest.mark.parametrize("offset", [-301, 301, -100_000])
def test_a_timestamp_off_the_clock_is_refused(two_tenants: TwoTenants, offset: int) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    query, body = FakeWeChat().push(text_xml("x"), timestamp=int(time.time()) + offset)
    assert_refused(tenant, channel, query, body, 403)
    assert not nonce_burned(tenant, channel, query["nonce"])


def test_a_timestamp_within_the_window_is_accepted(two_tenants: TwoTenants, queued: mock.MagicMock) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    for offset, msg_id in ((-250, 1), (250, 2)):
        query, body = FakeWeChat().push(text_xml("x", msg_id=msg_id), timestamp=int(time.time()) + offset)
        assert post(tenant, channel, query, body).status_code == 200
    assert len(rows(tenant)) == 2


def test_a_replayed_nonce_is_refused(two_tenants: TwoTenants, queued: mock.MagicMock) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    query, body = FakeWeChat().push(text_xml("x", msg_id=1), nonce="424242")
    assert post(tenant, channel, query, body).status_code == 200
    assert nonce_burned(tenant, channel, "424242")
    replay = post(tenant, channel, query, body)
    assert replay.status_code == 403
    # A different message under the same nonce is a replay too.
    query2, body2 = FakeWeChat().push(text_xml("y", msg_id=2), nonce="424242")
    assert post(tenant, channel, query2, body2).status_code == 403
    assert [r.dedupe_key for r in rows(tenant)] == ["msg:1"]
    # The nonce is remembered per channel: another channel may see the same one.
    other = make_channel(tenant)
    assert post(tenant, other, *FakeWeChat().push(text_xml("z", msg_id=3), nonce="424242")).status_code == 200


def _padded(message: bytes, app_id: str = APP_ID) -> bytes:
    return os.urandom(16) + struct.pack(">I", len(message)) + message + app_id.encode()


@pytest.mark.parametrize(
    "encrypted",
    [
        pytest.param("!!!not base64!!!", id="garbage"),
        pytest.param("abcde", id="truncated-base64"),
        pytest.param(base64.b64encode(b"x" * 20).decode(), id="not-whole-blocks"),
        pytest.param(seal(b"", padded=_padded(b"<xml/>") + b"\x00" * (32 - len(_padded(b"<xml/>")) % 32)), id="pad-0"),
        pytest.param(seal(b"", padded=(lambda p: p + bytes([33]) * (64 - len(p)))(_padded(b"<xml/>"))), id="pad-33"),
        pytest.param(
            seal(b"", padded=(lambda p: p[:-2] + b"\x01\x05")(pkcs7_32(_padded(b"<xml></xml>") + b"\x00"))),
            id="pad-inconsistent",
        ),
        pytest.param(seal(b"", padded=b"\x10" * 32), id="too-short"),
        pytest.param(seal(text_xml("x").encode(), app_id="wxAnotherAppId0000"), id="wrong-appid"),
        pytest.param(seal(text_xml("x").encode(), app_id=""), id="no-appid"),
        pytest.param(seal(text_xml("x").encode(), aes_key="B" * 43), id="another-key"),
    ],
)
def test_bad_encryption_is_refused(two_tenants: TwoTenants, encrypted: str) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    query, body = FakeWeChat().push("", encrypted=encrypted)  # correctly signed over the bad ciphertext
    assert_refused(tenant, channel, query, body, 400)


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]><xml><ToUserName>&lol9;</ToUserName></xml>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName>"
    "<CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"
)


@pytest.mark.parametrize(
    "xml",
    [
        BOMB,
        XXE,
        "<xml><MsgType>text",
        "not xml",
        "<other/>",
        text_xml("x").replace("<MsgId>23456789012345678</MsgId>", ""),
    ],
)
@pytest.mark.parametrize("safe", [False, True])
def test_hostile_or_malformed_xml_is_refused(two_tenants: TwoTenants, xml: str, safe: bool) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant, safe=safe)
    query, body = FakeWeChat(aes_key=AES_KEY if safe else None).push(xml)
    started = time.monotonic()
    response = post(tenant, channel, query, body)
    assert time.monotonic() - started < 1
    assert response.status_code == 400 and b"root:" not in response.content
    assert rows(tenant) == []


def test_a_hostile_outer_envelope_is_refused(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    envelope = BOMB.replace(
        "<xml><ToUserName>&lol9;</ToUserName></xml>", "<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><A>&lol9;</A></xml>"
    )
    query, body = FakeWeChat().push(text_xml("x"), envelope=envelope)
    assert_refused(tenant, channel, query, body, 400)


def test_an_oversize_body_is_refused_before_anything_else(two_tenants: TwoTenants) -> None:
    tenant = two_tenants.a
    for safe in (False, True):
        channel = make_channel(tenant, safe=safe)
        query, body = FakeWeChat(aes_key=AES_KEY if safe else None).push(text_xml("长" * (MAX_BODY_BYTES // 3 + 1)))
        assert len(body) > MAX_BODY_BYTES
        assert_refused(tenant, channel, query, body, 413)
        assert not nonce_burned(tenant, channel, query["nonce"])


def test_unknown_inactive_or_non_wechat_channels_are_404(two_tenants: TwoTenants) -> None:
    a, b = two_tenants.a, two_tenants.b
    channel_of_a = make_channel(a)
    with tenant_context(b):
        assert not Channel.objects.filter(pk=channel_of_a.pk).exists()
    query, body = FakeWeChat().push(text_xml("x"))
    assert post(b, channel_of_a, query, body).status_code == 404  # A's channel id on B's host
    assert Client(HTTP_HOST=host_of(b)).get(url(channel_of_a, FakeWeChat().echostr_query())).status_code == 404
    assert not nonce_burned(a, channel_of_a, query["nonce"])
    inactive = make_channel(a, is_active=False)
    app = make_channel(a, kind=ChannelKind.APP)
    for channel in (inactive, app):
        assert_refused(a, channel, *FakeWeChat().push(text_xml("x")), 404)
    with tenant_context(a):
        no_token = Channel.objects.create(
            kind=ChannelKind.WECHAT_OFFICIAL, name="x", config={"app_id": APP_ID, "token": ""}
        )
        bad_key = Channel.objects.create(
            kind=ChannelKind.WECHAT_OFFICIAL,
            name="y",
            config={"app_id": APP_ID, "token": TOKEN, "encoding_aes_key": "short"},
        )
    for channel in (no_token, bad_key):
        assert_refused(a, channel, *FakeWeChat().push(text_xml("x")), 404)
    huge = Client(HTTP_HOST=host_of(a)).post(
        "/channels/wechat/99999999999999999999999/", data=b"", content_type="text/xml"
    )
    assert huge.status_code == 404
    assert rows(b) == []


# --- the crypto module against a vector published with WeChat's sample code (via wechatpy) --

VECTOR_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6"
    "ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/"
    "TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/"
    "5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)


def test_crypto_matches_a_published_vector() -> None:
    from channels_app.adapters.wechat.crypto import AppIdMismatch, aes_key_from, decrypt, signature_matches

    assert signature_matches(
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "123456", "1411525903", "461056294", VECTOR_ENCRYPT
    )
    assert not signature_matches(
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "123456", "1411525903", "461056295", VECTOR_ENCRYPT
    )
    key = aes_key_from("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR")
    assert key is not None
    plain = decrypt(VECTOR_ENCRYPT, key=key, app_id="wx49f0ab532d5d035a")
    assert b"<Content><![CDATA[test]]></Content>" in plain and b"<FromUserName><![CDATA[messense]]>" in plain
    with pytest.raises(AppIdMismatch):
        decrypt(VECTOR_ENCRYPT, key=key, app_id="wx49f0ab532d5d035b")
    assert aes_key_from("kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1a") is None  # 42 characters
