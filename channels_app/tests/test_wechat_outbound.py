"""Agents' replies to WeChat users: the outbox sender, the cached access token, and voice media.

WeChat is a real HTTP server on 127.0.0.1 (``fake_wechat_api``); the tests point
``WECHAT_API_BASE`` at it. Most tests drive ``delivery_attempt`` themselves with the outbox's
task recorded instead of queued; one goes end to end through a real Celery worker.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of
from callcenter.integrations import wechat
from callcenter.integrations.wechat import WeChatApiError
from channels_app.adapters.wechat.outbound import TEXT_LIMIT_BYTES, split_text
from channels_app.adapters.wechat.services import wechat_inbox_process
from channels_app.adapters.wechat.tokens import (
    WeChatCredentials,
    access_token_get,
    token_key,
    token_ttl,
    with_access_token,
)
from channels_app.models import Channel, ChannelKind, DeliveryStatus, OutboundDelivery, WeChatInboxMessage
from channels_app.services.outbox import delivery_attempt
from channels_app.tasks import fetch_wechat_media, process_wechat_message
from channels_app.tests.fake_wechat import APP_ID, OPENID, FakeWeChat, text_xml, voice_xml
from channels_app.tests.fake_wechat_api import APP_SECRET, SEND_PATH, FakeWeChatApi
from channels_app.tests.test_wechat_webhook import make_channel, post
from conversations.models import Message
from tenants.models import Tenant

CHINESE = '您好😀，您的订单 SO-1 已发货 <b>不是标签</b> & "引号"\n第二行'
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
_msg_ids = itertools.count(5_000_000)


@pytest.fixture
def wechat_api(settings: Any) -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi.running() as api:
        settings.WECHAT_API_BASE = api.url
        settings.WECHAT_OPEN_BASE = api.url
        yield api


@pytest.fixture
def tasks() -> Iterator[mock.MagicMock]:
    """The channels' tasks recorded instead of queued: each test runs the steps it needs itself."""
    with (
        mock.patch("channels_app.tasks.deliver_outbound") as deliver,
        mock.patch("channels_app.adapters.wechat.services.process_wechat_message"),
    ):
        yield deliver


@pytest.fixture
def storage(settings: Any, tmp_path: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    return tmp_path


def customer_writes(tenant: Tenant, channel: Channel, text: str = "你好", *, xml: str | None = None) -> int:
    """A pushed message, stored and processed into the customer's conversation; its conversation id."""
    push = xml or text_xml(text, msg_id=next(_msg_ids))
    pushed = post(tenant, channel, *FakeWeChat(aes_key=channel.config.get("encoding_aes_key")).push(push))
    assert pushed.status_code == 200, pushed.content
    with tenant_context(tenant):
        row = WeChatInboxMessage.objects.filter(channel=channel).latest("pk")
        wechat_inbox_process(message_id=row.pk)
        return Message.objects.get(channel=channel, client_msg_id=f"wechat:{row.pk}").conversation_id


def agent_replies(pair: TwoTenants, conversation: int, body: str = CHINESE, **extra: Any) -> dict[str, Any]:
    answer = pair.client("a", "agent").post(
        f"/api/v1/conversations/{conversation}/messages/", {"body": body, **extra}, content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def attempt(tenant: Tenant, message_id: int, *, due_now: bool = False) -> OutboundDelivery:
    with tenant_context(tenant):
        row = OutboundDelivery.objects.get(message_id=message_id)
        if due_now:
            OutboundDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        done = delivery_attempt(delivery_id=row.pk)
        assert done is not None
        return done


def delivered_at(tenant: Tenant, message_id: int) -> Any:
    with tenant_context(tenant):
        return Message.objects.get(pk=message_id).delivered_at


# --- end to end ------------------------------------------------------------------------------


def test_a_reply_reaches_the_wechat_user_through_a_real_worker(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, celery_worker: object
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    assert post(tenant, channel, *FakeWeChat().push(text_xml("在吗？"))).status_code == 200
    deadline = time.monotonic() + 20
    conversation = None
    while conversation is None and time.monotonic() < deadline:
        with tenant_context(tenant):
            conversation = Message.objects.filter(channel=channel).values_list("conversation_id", flat=True).first()
        time.sleep(0.05)
    assert conversation is not None
    reply = agent_replies(two_tenants, conversation)
    while not wechat_api.sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert wechat_api.sent == [{"touser": OPENID, "msgtype": "text", "text": {"content": CHINESE}, "app_id": APP_ID}]
    assert "您好😀".encode() in wechat_api.raw_sent[0]  # raw UTF-8, not \\u escapes
    while delivered_at(tenant, reply["id"]) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    with tenant_context(tenant):
        row = OutboundDelivery.objects.get(message_id=reply["id"])
        assert (row.status, row.attempts, row.dedupe_key) == (DeliveryStatus.DELIVERED, 1, f"msg:{reply['id']}")
        assert Message.objects.get(pk=reply["id"]).delivered_at is not None
    assert wechat_api.token_requests == [APP_ID]
    with tenant_context(two_tenants.b):
        assert not OutboundDelivery.objects.exists()


# --- the access token --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [ChannelKind.WECHAT_OFFICIAL, ChannelKind.WECHAT_MINI_PROGRAM])
def test_the_token_is_fetched_once_and_reused(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock, kind: str
) -> None:
    tenant = two_tenants.a
    conversation = customer_writes(tenant, make_channel(tenant, kind=kind))
    first = agent_replies(two_tenants, conversation, "第一条")
    second = agent_replies(two_tenants, conversation, "第二条")
    assert tasks.delay_on_commit.call_count == 2  # one outbox row per reply, sent after commit
    for reply in (first, second):
        assert attempt(tenant, reply["id"]).status == DeliveryStatus.DELIVERED
        assert delivered_at(tenant, reply["id"]) is not None
    assert [m["text"]["content"] for m in wechat_api.sent] == ["第一条", "第二条"]
    assert wechat_api.token_requests == [APP_ID]
    assert wechat_api.calls("/cgi-bin/token") == 1


def test_the_token_expires_before_wechat_says_and_is_kept_per_tenant() -> None:
    assert token_ttl(7200) == 6900
    assert 0 < token_ttl(100) < 100 and token_ttl(1) == 0
    assert token_key(1, APP_ID) != token_key(2, APP_ID)
    assert token_key(1, APP_ID).startswith("t1:")


def test_ten_threads_asking_at_once_make_one_token_request(platform: None, wechat_api: FakeWeChatApi) -> None:
    wechat_api.token_delay_s = 0.3  # a slow fetch, so the others really wait for it
    credentials = WeChatCredentials(app_id=APP_ID, app_secret=APP_SECRET)
    got: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(10)

    def ask() -> None:
        start.wait()
        try:
            got.append(access_token_get(tenant_id=424242, credentials=credentials))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(got) == 10 and len(set(got)) == 1
    assert wechat_api.token_requests == [APP_ID]
    assert cache.get(token_key(424242, APP_ID)) == got[0]


def test_a_token_wechat_refuses_is_refreshed_once_and_the_send_repeated(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock
) -> None:
    tenant = two_tenants.a
    conversation = customer_writes(tenant, make_channel(tenant))
    first = agent_replies(two_tenants, conversation, "一")
    assert attempt(tenant, first["id"]).status == DeliveryStatus.DELIVERED
    wechat_api.invalidate_tokens()  # e.g. another system fetched a token for this app
    second = agent_replies(two_tenants, conversation, "二")
    done = attempt(tenant, second["id"])
    assert done.status == DeliveryStatus.DELIVERED and done.attempts == 1
    assert wechat_api.token_requests == [APP_ID, APP_ID]
    assert wechat_api.calls(SEND_PATH) == 3  # ok, 40001, ok
    assert [m["text"]["content"] for m in wechat_api.sent] == ["一", "二"]
    # Refused again with the fresh token: not refreshed in a loop, tried again later.
    wechat_api.fail_next(errcode=40001, times=2)
    third = agent_replies(two_tenants, conversation, "三")
    done = attempt(tenant, third["id"])
    assert done.status == DeliveryStatus.PENDING and "40001" in done.last_error
    assert len(wechat_api.token_requests) == 3


def test_with_access_token_passes_other_errors_through(platform: None, wechat_api: FakeWeChatApi) -> None:
    credentials = WeChatCredentials(app_id=APP_ID, app_secret=APP_SECRET)
    calls: list[str] = []

    def refused(token: str) -> None:
        calls.append(token)
        raise WeChatApiError.from_errcode(45015, "response out of time limit")

    with pytest.raises(WeChatApiError) as caught:
        with_access_token(tenant_id=1, credentials=credentials, call=refused)
    assert len(calls) == 1 and not caught.value.retryable and caught.value.errcode == 45015
    wrong = WeChatCredentials(app_id=APP_ID, app_secret="wrong")
    cache.delete(token_key(2, APP_ID))
    with pytest.raises(WeChatApiError) as caught:
        access_token_get(tenant_id=2, credentials=wrong)
    assert caught.value.errcode == 40125 and not caught.value.retryable


# --- what WeChat refuses -------------------------------------------------------------------------


def test_a_closed_48_hour_window_fails_for_good(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock
) -> None:
    tenant = two_tenants.a
    conversation = customer_writes(tenant, make_channel(tenant))
    wechat_api.fail_next(errcode=45015)
    reply = agent_replies(two_tenants, conversation)
    done = attempt(tenant, reply["id"])
    assert done.status == DeliveryStatus.FAILED and done.attempts == 1 and done.next_attempt_at is None
    assert "45015" in done.last_error and "48 hours" in done.last_error and "scripted failure" in done.last_error
    tasks.apply_async.assert_not_called()
    assert delivered_at(tenant, reply["id"]) is None
    with tenant_context(tenant):
        assert delivery_attempt(delivery_id=done.pk) is None  # never tried again
    assert wechat_api.sent == []


@pytest.mark.parametrize(("errcode", "http_status"), [(-1, None), (None, 500), (None, 502), (45009, None)])
def test_busy_and_server_errors_are_retried(
    two_tenants: TwoTenants,
    wechat_api: FakeWeChatApi,
    tasks: mock.MagicMock,
    errcode: int | None,
    http_status: int | None,
) -> None:
    tenant = two_tenants.a
    conversation = customer_writes(tenant, make_channel(tenant))
    wechat_api.fail_next(errcode=errcode, http_status=http_status)
    reply = agent_replies(two_tenants, conversation)
    done = attempt(tenant, reply["id"])
    assert done.status == DeliveryStatus.PENDING and done.next_attempt_at is not None
    assert str(errcode or http_status) in done.last_error
    tasks.apply_async.assert_called_once()
    assert tasks.apply_async.call_args.kwargs["countdown"] > 0
    assert delivered_at(tenant, reply["id"]) is None
    again = attempt(tenant, reply["id"], due_now=True)
    assert again.status == DeliveryStatus.DELIVERED and again.attempts == 2
    assert len(wechat_api.sent) == 1 and delivered_at(tenant, reply["id"]) is not None


def test_an_unreachable_wechat_is_retried(two_tenants: TwoTenants, tasks: mock.MagicMock, settings: Any) -> None:
    tenant = two_tenants.a
    conversation = customer_writes(tenant, make_channel(tenant))
    with socket.socket() as closed:  # a port nothing listens on any more
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings.WECHAT_API_BASE = f"http://127.0.0.1:{port}"
    reply = agent_replies(two_tenants, conversation)
    done = attempt(tenant, reply["id"])
    assert done.status == DeliveryStatus.PENDING and "unreachable" in done.last_error


def test_a_customer_without_an_openid_on_that_app_fails_with_a_clear_error(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant, safe=False)
    conversation = customer_writes(tenant, channel)
    with tenant_context(tenant):  # the channel now stands for another official account
        Channel.objects.filter(pk=channel.pk).update(config={**channel.config, "app_id": "wxOtherApp000000"})
    reply = agent_replies(two_tenants, conversation)
    done = attempt(tenant, reply["id"])
    assert done.status == DeliveryStatus.FAILED
    assert "no WeChat openid" in done.last_error and "wxOtherApp000000" in done.last_error
    assert wechat_api.sent == [] and wechat_api.token_requests == []


def test_a_channel_without_its_secret_or_switched_off_fails(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    conversation = customer_writes(tenant, channel)
    with tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(config={**channel.config, "app_secret": ""})
    reply = agent_replies(two_tenants, conversation, "一")
    assert "app_secret" in attempt(tenant, reply["id"]).last_error
    with tenant_context(tenant):
        Channel.objects.filter(pk=channel.pk).update(config=channel.config, is_active=False)
    reply = agent_replies(two_tenants, conversation, "二")
    done = attempt(tenant, reply["id"])
    assert done.status == DeliveryStatus.FAILED and "switched off" in done.last_error
    assert wechat_api.sent == []


# --- long text, images and links -------------------------------------------------------------------


def test_split_text_keeps_every_piece_under_the_limit_and_cuts_where_a_reader_pauses() -> None:
    assert split_text("短") == ["短"]
    sentences = "".join(f"这是第{i}句话。" for i in range(600))
    pieces = split_text(sentences)
    assert len(pieces) > 1 and "".join(pieces) == sentences
    assert all(len(p.encode()) <= TEXT_LIMIT_BYTES and p.endswith("。") for p in pieces)
    lines = "\n".join("第" + "行" * 50 for _ in range(40))
    pieces = split_text(lines)
    assert "\n".join(pieces) == lines and all(len(p.encode()) <= TEXT_LIMIT_BYTES for p in pieces)
    solid = "😀" * 1000  # nowhere to pause: cut between characters, never inside one
    pieces = split_text(solid)
    assert "".join(pieces) == solid and all(len(p.encode()) <= TEXT_LIMIT_BYTES for p in pieces)


def test_a_long_reply_goes_out_in_parts_and_a_retry_does_not_repeat_them(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock
) -> None:
    tenant = two_tenants.a
    conversation = customer_writes(tenant, make_channel(tenant))
    body = "".join(f"第{i}句：您的包裹正在派送中。" for i in range(250))[:4000]
    assert len(body.encode()) > 2 * 2048
    wechat_api.fail_next(errcode=-1, after=1)  # the second part meets a busy WeChat
    reply = agent_replies(two_tenants, conversation, body)
    first = attempt(tenant, reply["id"])
    assert first.status == DeliveryStatus.PENDING and first.payload["sent_parts"] == 1
    assert len(wechat_api.sent) == 1
    done = attempt(tenant, reply["id"], due_now=True)
    assert done.status == DeliveryStatus.DELIVERED
    texts = [m["text"]["content"] for m in wechat_api.sent]
    assert len(texts) >= 3 and "".join(texts) == body  # every part once, in order
    assert all(len(t.encode()) <= 2048 for t in texts)


def test_stored_images_are_uploaded_and_links_sent_as_text(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock, storage: Any
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from channels_app.services.files import StoredUpload

    tenant = two_tenants.a
    conversation = customer_writes(tenant, make_channel(tenant))
    with tenant_context(tenant):
        key = default_storage.save(f"t{tenant.pk}/widget/2026/01/photo.png", ContentFile(PNG))
        image = StoredUpload(key=key, content_type="image/png", size=len(PNG), name="照片.png").attachment()
    link = {"url": "https://shop.example.cn/manual.pdf", "name": "说明书.pdf"}
    reply = agent_replies(two_tenants, conversation, "请看图", kind="image", attachments=[image, link])
    assert attempt(tenant, reply["id"]).status == DeliveryStatus.DELIVERED
    [upload] = wechat_api.uploads
    assert upload["type"] == "image" and upload["content"] == PNG and upload["content_type"] == "image/png"
    assert [(m["msgtype"], m.get("text", m.get("image"))) for m in wechat_api.sent] == [
        ("text", {"content": "请看图"}),
        ("image", {"media_id": wechat_api.sent[1]["image"]["media_id"]}),
        ("text", {"content": "说明书.pdf\nhttps://shop.example.cn/manual.pdf"}),
    ]
    assert wechat_api.sent[1]["image"]["media_id"] in wechat_api.media


def test_attachments_that_cannot_go_to_wechat_fail_before_anything_is_sent(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock, storage: Any
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from channels_app.services.files import StoredUpload

    tenant = two_tenants.a
    conversation = customer_writes(tenant, make_channel(tenant))
    with tenant_context(two_tenants.b):  # tenant B's own file link means nothing on A
        key = default_storage.save(f"t{two_tenants.b.pk}/widget/x.png", ContentFile(PNG))
        foreign = StoredUpload(key=key, content_type="image/png", size=len(PNG), name="x.png").attachment()
    # (The API itself refuses links that are not http(s), /channels/files/ or wechat-media:.)
    for attachment in (foreign, {"url": "wechat-media:abc"}, {"url": "/channels/files/forged/"}):
        reply = agent_replies(two_tenants, conversation, "看", kind="image", attachments=[attachment])
        done = attempt(tenant, reply["id"])
        assert done.status == DeliveryStatus.FAILED and "attachment 1 cannot be sent" in done.last_error
    assert wechat_api.sent == [] and wechat_api.uploads == []


# --- voice media -----------------------------------------------------------------------------------


def test_a_voice_message_is_fetched_into_storage_behind_a_signed_link(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock, storage: Any
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    audio = b"#!AMR\n" + bytes(range(200))
    wechat_api.add_media("media_voice_1", audio, "audio/amr")
    assert post(tenant, channel, *FakeWeChat().push(voice_xml(msg_id=next(_msg_ids)))).status_code == 200
    with (
        tenant_context(tenant),
        mock.patch("channels_app.tasks.fetch_wechat_media") as queued,
    ):
        row = WeChatInboxMessage.objects.get(channel=channel)
        process_wechat_message(row.pk)
        queued.delay_on_commit.assert_called_once_with(row.pk)
        [message] = Message.objects.filter(channel=channel)
        assert message.attachments[0]["url"] == "wechat-media:media_voice_1"
    with tenant_context(tenant):
        assert fetch_wechat_media(row.pk) == 1
        message.refresh_from_db()
        [attachment] = message.attachments
        assert attachment["url"].startswith("/channels/files/") and attachment["content_type"] == "audio/amr"
        assert attachment["size"] == len(audio)
        assert fetch_wechat_media(row.pk) == 0  # run twice: nothing more to fetch
    assert wechat_api.calls("/cgi-bin/media/get") == 1
    served = Client(HTTP_HOST=host_of(tenant)).get(attachment["url"])
    assert served.status_code == 200 and b"".join(served.streaming_content) == audio
    assert list(storage.glob(f"t{tenant.pk}/wechat/{channel.pk}/*.amr"))
    assert Client(HTTP_HOST=host_of(two_tenants.b)).get(attachment["url"]).status_code == 404


def test_media_wechat_no_longer_has_is_left_as_it_was(
    two_tenants: TwoTenants, wechat_api: FakeWeChatApi, tasks: mock.MagicMock, storage: Any
) -> None:
    tenant = two_tenants.a
    channel = make_channel(tenant)
    assert post(tenant, channel, *FakeWeChat().push(voice_xml(msg_id=next(_msg_ids)))).status_code == 200
    with tenant_context(tenant):
        row = WeChatInboxMessage.objects.get(channel=channel)
        wechat_inbox_process(message_id=row.pk)
        assert fetch_wechat_media(row.pk) == 0  # 40007: WeChat keeps media 3 days
        [message] = Message.objects.filter(channel=channel)
        assert message.attachments[0]["url"] == "wechat-media:media_voice_1"
    assert not list(storage.rglob("*.amr"))


# --- the client ------------------------------------------------------------------------------------


def test_the_client_sends_raw_utf8_and_classifies_errors(platform: None, wechat_api: FakeWeChatApi) -> None:
    assert wechat.json_body({"text": {"content": "你好"}}) == '{"text":{"content":"你好"}}'.encode()
    assert WeChatApiError.from_errcode(-1, "system error").retryable
    for permanent in (45015, 45047, 40003, 48001, 45002):
        error = WeChatApiError.from_errcode(permanent, "x")
        assert not error.retryable and not error.token_invalid and str(permanent) in str(error)
    for token_code in (40001, 40014, 42001):
        assert WeChatApiError.from_errcode(token_code, "x").token_invalid
    token = wechat.access_token_fetch(app_id=APP_ID, app_secret=APP_SECRET)
    assert token.expires_in == 7200
    wechat_api.fail_next("/cgi-bin/media/get", http_status=404)
    with pytest.raises(WeChatApiError) as caught:
        wechat.media_download(access_token=token.token, media_id="m")
    assert caught.value.http_status == 404 and not caught.value.retryable
    url = wechat.oauth_authorize_url(app_id=APP_ID, redirect_uri="https://a.example/cb/?x=1", scope="s", state="z")
    assert url == (
        f"{wechat_api.url}/connect/oauth2/authorize?appid={APP_ID}&redirect_uri=https%3A%2F%2Fa.example%2Fcb%2F"
        "%3Fx%3D1&response_type=code&scope=s&state=z#wechat_redirect"
    )
