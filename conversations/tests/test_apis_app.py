"""The APP messaging API: the shop backend with its channel key, the APP with a signed user token."""

from __future__ import annotations

from django.test import Client
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants, host_of
from channels_app.testing import app_channel_with_key, backend_client
from conversations.models import Conversation, Message


def test_backend_sends_and_reads_back_since_a_sequence(two_tenants: TwoTenants) -> None:
    _, raw = app_channel_with_key(two_tenants.a)
    client = backend_client(two_tenants.a, raw)
    body = {"customer": {"app_user_id": "u-1", "name": "周先生"}, "body": "快递到哪了？", "client_msg_id": "m-1"}
    first = client.post("/api/v1/app/messages/", body, content_type="application/json")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/app/messages/", body, content_type="application/json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    client.post(
        "/api/v1/app/messages/", {**body, "client_msg_id": "m-2", "body": "在吗"}, content_type="application/json"
    )
    conversation = first.json()["conversation"]
    since = client.get(f"/api/v1/app/conversations/{conversation}/messages/", {"since": 1}).json()
    assert [(m["seq"], m["body"]) for m in since] == [(2, "在吗")]


def test_the_app_user_token_sends_and_reads_only_its_own_conversation(two_tenants: TwoTenants) -> None:
    _, raw = app_channel_with_key(two_tenants.a)
    token = (
        backend_client(two_tenants.a, raw)
        .post("/api/v1/app/user-tokens/", {"app_user_id": "u-1"}, content_type="application/json")
        .json()["token"]
    )
    other = (
        backend_client(two_tenants.a, raw)
        .post("/api/v1/app/user-tokens/", {"app_user_id": "u-2"}, content_type="application/json")
        .json()["token"]
    )
    me = Client(HTTP_HOST=host_of(two_tenants.a), HTTP_AUTHORIZATION=f"AppUser {token}")
    sent = me.post("/api/v1/app/me/messages/", {"body": "我要退款"}, content_type="application/json")
    assert sent.status_code == 201
    assert [m["body"] for m in me.get("/api/v1/app/me/messages/").json()] == ["我要退款"]
    them = Client(HTTP_HOST=host_of(two_tenants.a), HTTP_AUTHORIZATION=f"AppUser {other}")
    assert them.get("/api/v1/app/me/messages/").json() == []
    # A token of tenant A is worthless on tenant B, and a forged one everywhere.
    on_b = Client(HTTP_HOST=host_of(two_tenants.b), HTTP_AUTHORIZATION=f"AppUser {token}")
    assert on_b.get("/api/v1/app/me/messages/").status_code == 401
    forged = Client(HTTP_HOST=host_of(two_tenants.a), HTTP_AUTHORIZATION=f"AppUser {token[:-2]}xx")
    assert forged.post("/api/v1/app/me/messages/", {"body": "x"}, content_type="application/json").status_code == 401


def test_bad_messages_are_400_and_nothing_is_written(two_tenants: TwoTenants) -> None:
    _, raw = app_channel_with_key(two_tenants.a)
    client = backend_client(two_tenants.a, raw)
    customer = {"app_user_id": "u-1"}
    for bad in (
        {"customer": customer, "body": "x" * 4001},
        {"customer": customer, "body": "   "},
        {"customer": customer, "body": "ok", "kind": "disconnect"},
        {"customer": customer, "body": "ok", "client_msg_id": "x" * 65},
        {"body": "no customer"},
        {"customer": customer, "body": "bad\u0000"},
    ):
        response = client.post("/api/v1/app/messages/", bad, content_type="application/json")
        assert response.status_code == 400, (bad, response.content)
    with tenant_context(two_tenants.a):
        assert (Message.objects.count(), Conversation.objects.count()) == (0, 0)


def test_a_conversation_of_tenant_a_is_404_for_tenant_b(two_tenants: TwoTenants) -> None:
    _, raw_a = app_channel_with_key(two_tenants.a)
    _, raw_b = app_channel_with_key(two_tenants.b)
    sent = (
        backend_client(two_tenants.a, raw_a)
        .post(
            "/api/v1/app/messages/",
            {"customer": {"app_user_id": "u-1"}, "body": "A 的消息"},
            content_type="application/json",
        )
        .json()
    )
    # Give B a conversation too, so ids exist there; A's id must still show nothing of A's.
    backend_client(two_tenants.b, raw_b).post(
        "/api/v1/app/messages/", {"customer": {"app_user_id": "x"}, "body": "B"}, content_type="application/json"
    )
    seen = backend_client(two_tenants.b, raw_b).get(f"/api/v1/app/conversations/{sent['conversation']}/messages/")
    assert seen.status_code == 404 or all(m["body"] != "A 的消息" for m in seen.json())
    assert backend_client(two_tenants.b, raw_a).get("/api/v1/app/user-tokens/").status_code == 401
