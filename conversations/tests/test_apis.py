"""The staff conversations API: agents list, read since a sequence, reply, mark read and resolve."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import tenant_context

from callcenter.core import domain_events
from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, make_user, tenant_client
from channels_app.testing import app_channel_with_key, backend_client
from conversations.events import MESSAGE_OUTBOUND
from conversations.models import Message


def _customer_writes(pair: TwoTenants, body: str = "我的快递丢了") -> int:
    _, raw = app_channel_with_key(pair.a)
    sent = backend_client(pair.a, raw).post(
        "/api/v1/app/messages/",
        {"customer": {"app_user_id": "u-1", "name": "<b>周</b>"}, "body": body},
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    return int(sent.json()["conversation"])


def test_an_agent_lists_reads_and_replies(two_tenants: TwoTenants) -> None:
    conversation = _customer_writes(two_tenants)
    heard: list[dict[str, Any]] = []
    domain_events.subscribe(MESSAGE_OUTBOUND, heard.append)
    try:
        agent = two_tenants.client("a", "agent")
        listed = agent.get("/api/v1/conversations/", {"status": "open"}).json()
        assert [(c["id"], c["customer_name"], c["channel"]) for c in listed] == [(conversation, "<b>周</b>", "app")]
        reply = {"body": "您好，马上为您查询", "client_msg_id": "agent-1"}
        first = agent.post(f"/api/v1/conversations/{conversation}/messages/", reply, content_type="application/json")
        assert first.status_code == 201, first.content
        again = agent.post(f"/api/v1/conversations/{conversation}/messages/", reply, content_type="application/json")
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        assert first.json()["direction"] == "out" and first.json()["sender_type"] == "agent"
        since = agent.get(f"/api/v1/conversations/{conversation}/messages/", {"since": 1}).json()
        assert [(m["seq"], m["body"]) for m in since] == [(2, "您好，马上为您查询")]
        # Channel adapters hear about the reply exactly once, after commit.
        assert [(e["conversation"], e["channel_kind"]) for e in heard] == [(conversation, "app")]
    finally:
        domain_events.unsubscribe(MESSAGE_OUTBOUND, heard.append)


def test_marking_read_and_resolving(two_tenants: TwoTenants) -> None:
    conversation = _customer_writes(two_tenants)
    agent = two_tenants.client("a", "agent")
    read = agent.post(f"/api/v1/conversations/{conversation}/read/", {"up_to_seq": 1}, content_type="application/json")
    assert read.status_code == 204
    with tenant_context(two_tenants.a):
        message = Message.objects.get(conversation_id=conversation, seq=1)
        assert message.read_at is not None and message.delivered_at is not None
    resolved = agent.post(f"/api/v1/conversations/{conversation}/resolve/")
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    late = agent.post(f"/api/v1/conversations/{conversation}/messages/", {"body": "x"}, content_type="application/json")
    assert late.status_code == 409 and late.json()["code"] == "conversation_resolved"


def test_bad_replies_and_outsiders_write_nothing(two_tenants: TwoTenants) -> None:
    conversation = _customer_writes(two_tenants)
    agent = two_tenants.client("a", "agent")
    path = f"/api/v1/conversations/{conversation}/messages/"
    for bad in (
        {"body": "x" * 4001},
        {"body": "  "},
        {"kind": "sticker", "body": "x"},
        {"body": "a\x00b"},
        {"body": "see", "attachments": [{"url": "javascript:alert(1)"}]},
    ):
        assert agent.post(path, bad, content_type="application/json").status_code == 400, bad
    assert agent.get("/api/v1/conversations/", {"status": "closed"}).status_code == 400
    # A signed-in user who is neither an agent nor an admin gets nothing.
    make_user(two_tenants.a, "clerk")
    clerk = tenant_client(two_tenants.a, "clerk")
    assert clerk.get("/api/v1/conversations/").status_code == 403
    assert clerk.post(path, {"body": "hi"}, content_type="application/json").status_code == 403
    assert_cross_tenant_404(two_tenants, path)
    assert_cross_tenant_404(two_tenants, f"/api/v1/conversations/{conversation}/resolve/", method="post")
    with tenant_context(two_tenants.a):
        assert list(Message.objects.values_list("seq", flat=True)) == [1]
