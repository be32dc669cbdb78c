"""The ticket API for the workbench and integrations: filters, writes through the services, files
served as downloads, refused moves, bad input that writes nothing, and isolation between tenants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import tenant_context

from agents.models import Team
from callcenter.core.testing import TwoTenants, assert_cross_tenant_404, host_of, tenant_client
from customers.models import Customer
from tickets.models import Status, Ticket, TicketComment
from tickets.services.tickets import ticket_create

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _tickets(tenant: Any) -> tuple[Customer, list[Ticket]]:
    with tenant_context(tenant):
        customer = Customer.objects.create(display_name="周杰")
        made = [
            ticket_create(customer=customer, subject=f"问题 {i}", actor="test", order_ref=f"JD{i}") for i in range(3)
        ]
        return customer, made


def send(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    return getattr(client, method)(url, data, content_type="application/json")


def test_agents_list_and_filter_tickets(two_tenants: TwoTenants) -> None:
    _customer, made = _tickets(two_tenants.a)
    client = tenant_client(two_tenants.a, "agent")
    assert [t["number"] for t in client.get("/api/v1/tickets/").json()] == [3, 2, 1]
    with tenant_context(two_tenants.a):
        team = Team.objects.create(name="售后")
        agent_id = get_user_model().objects.get(username="agent").pk
    assert client.get("/api/v1/tickets/", {"mine": "1"}).json() == []
    assigned = client.patch(
        f"/api/v1/tickets/{made[0].number}/", {"assignee": agent_id}, content_type="application/json"
    )
    assert assigned.status_code == 200 and assigned.json()["assignee"]["id"] == agent_id
    assert [t["number"] for t in client.get("/api/v1/tickets/", {"mine": "1"}).json()] == [1]
    assert client.patch("/api/v1/tickets/2/", {"team": team.pk}, content_type="application/json").status_code == 200
    unknown = client.patch("/api/v1/tickets/2/", {"team": 99999, "priority": "urgent"}, content_type="application/json")
    assert unknown.status_code == 400
    assert client.get("/api/v1/tickets/2/").json()["priority"] == "normal"  # nothing written
    assert [t["number"] for t in client.get("/api/v1/tickets/", {"team": team.pk}).json()] == [2]
    assert [t["number"] for t in client.get("/api/v1/tickets/", {"q": "JD2"}).json()] == [3]
    assert [t["number"] for t in client.get("/api/v1/tickets/", {"after": 3, "limit": 1}).json()] == [2]
    assert client.get("/api/v1/tickets/", {"breached": "1"}).json() == []
    assert client.get("/api/v1/tickets/", {"status": "nonsense"}).status_code == 400
    assert client.get("/api/v1/tickets/", {"team": "x"}).status_code == 400


def test_open_a_ticket_and_bad_input_writes_nothing(two_tenants: TwoTenants) -> None:
    customer, _made = _tickets(two_tenants.a)
    client = tenant_client(two_tenants.a, "agent")
    created = client.post(
        "/api/v1/tickets/",
        {
            "customer": customer.pk,
            "subject": "<script>alert(1)</script> 退款",
            "category": "refund",
            "priority": "high",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["number"] == 4 and body["category"]["code"] == "refund" and body["first_response_due"]
    for bad in (
        {"customer": 999999, "subject": "x"},
        {"customer": customer.pk, "subject": "   "},
        {"customer": customer.pk, "subject": "x", "category": "nope"},
        {"customer": customer.pk, "subject": "x", "priority": "whenever"},
        {"customer": customer.pk, "subject": "x", "conversations": [424242]},
    ):
        response = client.post("/api/v1/tickets/", bad, content_type="application/json")
        assert response.status_code == 400, bad
        assert response.json()["errors"]
    with tenant_context(two_tenants.a):
        assert Ticket.objects.count() == 4


def test_status_moves_and_a_refused_one_is_409(two_tenants: TwoTenants) -> None:
    _customer, made = _tickets(two_tenants.a)
    client = tenant_client(two_tenants.a, "agent")
    url = f"/api/v1/tickets/{made[0].number}/status/"
    assert client.post(url, {"status": "closed"}, content_type="application/json").json()["status"] == "closed"
    refused = client.post(url, {"status": "open"}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"] == "status_move_refused"
    history = client.get(f"/api/v1/tickets/{made[0].number}/history/").json()
    assert [(e["action"], e["new_value"]) for e in history][-1] == ("status", Status.CLOSED)


def test_replies_notes_and_attachments(two_tenants: TwoTenants) -> None:
    _customer, made = _tickets(two_tenants.a)
    client = tenant_client(two_tenants.a, "agent")
    number = made[0].number
    photo = SimpleUploadedFile("照片.png", PNG, content_type="image/png")
    reply = client.post(f"/api/v1/tickets/{number}/replies/", {"body": "已补发", "files": [photo]})
    assert reply.status_code == 201, reply.content
    note = client.post(f"/api/v1/tickets/{number}/notes/", {"body": "仓库漏发"})
    assert note.status_code == 201 and note.json()["visibility"] == "internal"
    fake = SimpleUploadedFile("a.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = client.post(f"/api/v1/tickets/{number}/replies/", {"body": "x", "files": [fake]})
    assert refused.status_code == 400
    detail = client.get(f"/api/v1/tickets/{number}/").json()
    assert [c["visibility"] for c in detail["comments"]] == ["public", "internal"]
    download = client.get(detail["comments"][0]["attachments"][0]["url"])
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download["Content-Security-Policy"]
    assert b"".join(download.streaming_content) == PNG  # type: ignore[attr-defined]
    with tenant_context(two_tenants.a):
        assert TicketComment.objects.count() == 2
    assert client.get(f"/api/v1/tickets/{number}/attachments/999/").status_code == 404


def test_merge_and_tags(two_tenants: TwoTenants) -> None:
    _tickets(two_tenants.a)
    client = tenant_client(two_tenants.a, "agent")
    assert (
        client.post("/api/v1/tickets/1/tags/", {"name": " 物流 "}, content_type="application/json").status_code == 201
    )
    assert client.delete("/api/v1/tickets/1/tags/物流/").status_code == 204
    assert client.delete("/api/v1/tickets/1/tags/物流/").status_code == 404
    merged = client.post("/api/v1/tickets/1/merge/", {"into": 2}, content_type="application/json")
    assert merged.status_code == 200 and merged.json()["number"] == 2
    assert client.get("/api/v1/tickets/1/").json()["merged_into"] == 2
    again = client.post("/api/v1/tickets/1/merge/", {"into": 2}, content_type="application/json")
    assert again.status_code == 409
    assert [t["number"] for t in client.get("/api/v1/tickets/").json()] == [3, 2]


def test_only_the_tenants_staff_and_agents_reach_tickets(two_tenants: TwoTenants) -> None:
    _tickets(two_tenants.a)
    anonymous = Client(HTTP_HOST=host_of(two_tenants.a))
    assert anonymous.get("/api/v1/tickets/").status_code in (401, 403)
    for path in ("/api/v1/tickets/1/", "/api/v1/tickets/1/history/", "/api/v1/tickets/1/attachments/1/"):
        assert_cross_tenant_404(two_tenants, path)
    client_b = tenant_client(two_tenants.b, "agent")
    assert (
        client_b.post("/api/v1/tickets/1/status/", {"status": "closed"}, content_type="application/json").status_code
        == 404
    )
    with tenant_context(two_tenants.a):
        assert Ticket.objects.get(number=1).status == Status.NEW


def test_the_ticket_api_is_in_the_openapi_schema(two_tenants: TwoTenants) -> None:
    client = tenant_client(two_tenants.a, "staff")
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert {"/api/v1/tickets/", "/api/v1/tickets/{number}/replies/"} <= set(schema["paths"])


def test_a_list_costs_the_same_queries_however_many_tickets_it_shows(two_tenants: TwoTenants) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    customer, made = _tickets(two_tenants.a)
    client = tenant_client(two_tenants.a, "agent")
    with tenant_context(two_tenants.a):
        agent = get_user_model().objects.get(username="agent")
        Ticket.objects.filter(pk=made[0].pk).update(assignee=agent)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/api/v1/tickets/").status_code == 200
        return len(captured.captured_queries)

    few = queries()
    with tenant_context(two_tenants.a):
        for n in range(10):
            extra = ticket_create(customer=customer, subject=f"更多 {n}", actor="test")
            Ticket.objects.filter(pk=extra.pk).update(assignee=agent)
    assert queries() == few


def test_list_rows_are_what_the_schema_says(two_tenants: TwoTenants) -> None:
    """The list builds its rows without the serializer (for speed): they must stay equal to it."""
    from django.utils import translation

    from tickets.apis import TicketSummarySerializer
    from tickets.models import Category
    from tickets.selectors import ticket_get

    _customer, made = _tickets(two_tenants.a)
    with tenant_context(two_tenants.a):
        team = Team.objects.create(name="售后一组")
        agent = get_user_model().objects.get(username="agent")
        Ticket.objects.filter(pk=made[0].pk).update(
            assignee=agent, team=team, category=Category.objects.get(code="refund"), sla_breached=True
        )
        Ticket.objects.filter(pk=made[1].pk).update(first_responded_at=made[1].created_at)
    for language in ["en", "zh-hans"]:
        rows = tenant_client(two_tenants.a, "agent").get("/api/v1/tickets/", HTTP_ACCEPT_LANGUAGE=language).json()
        with tenant_context(two_tenants.a), translation.override(language):
            expected = [dict(TicketSummarySerializer(ticket_get(row["number"])).data) for row in rows]
        assert rows == expected
        assert rows[-1]["category"]["name"] == ("refund" if language == "en" else "退款")
