"""The customer's ticket page: the timeline without internal notes, replies with photos (once per
form), the rating once resolved, attachments only from public replies, and 404 for anyone else."""

from __future__ import annotations

import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from callcenter.core.testing import make_user
from portal.tests.helpers import browser, make_customer, make_ticket, sign_in
from tenants.models import Tenant
from tickets.models import Status, Ticket, TicketComment, TicketRating
from tickets.services.comments import IncomingFile, ticket_note_add, ticket_reply
from tickets.services.tickets import ticket_status_set

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _token(page: str) -> str:
    found = re.search(r'name="token" value="([0-9a-f]+)"', page)
    assert found, "the reply form carries a token"
    return found.group(1)


def test_the_timeline_shows_public_replies_and_never_notes(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    ticket = make_ticket(tenant, me, "杯子漏水")
    agent = make_user(tenant, "xiaoli", agent=True)
    with tenant_context(tenant):
        photo = IncomingFile(io.BytesIO(PNG), "说明.png", "image/png", len(PNG))
        ticket_reply(ticket=ticket, author=agent, body="<img src=x onerror=alert(1)> 已补发", files=[photo])
        ticket_note_add(
            ticket=ticket,
            author=agent,
            body="内部：仓库漏发",
            files=[IncomingFile(io.BytesIO(PNG), "internal.png", "image/png", len(PNG))],
        )
        public_file = ticket.attachments.get(comment__visibility="public").pk
        internal_file = ticket.attachments.get(comment__visibility="internal").pk
    client = browser(tenant)
    sign_in(client, outbox)
    page = client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt; 已补发" in page and "<img src=x" not in page
    assert "仓库漏发" not in page and "internal.png" not in page
    download = client.get(f"/portal/tickets/{ticket.number}/files/{public_file}/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download["Content-Security-Policy"]
    assert client.get(f"/portal/tickets/{ticket.number}/files/{internal_file}/").status_code == 404


def test_a_reply_with_a_photo_reopens_and_a_double_submit_stores_one(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    ticket = make_ticket(tenant, me, "快递破损", status=Status.WAITING_CUSTOMER)
    client = browser(tenant)
    sign_in(client, outbox)
    token = _token(client.get(f"/portal/tickets/{ticket.number}/").content.decode())
    form = {"body": "照片见附件", "token": token}
    first = client.post(
        f"/portal/tickets/{ticket.number}/reply/", form | {"photos": SimpleUploadedFile("a.png", PNG, "image/png")}
    )
    assert first.status_code == 302
    again = client.post(f"/portal/tickets/{ticket.number}/reply/", form)
    assert again.status_code == 302
    with tenant_context(tenant):
        assert TicketComment.objects.filter(ticket=ticket).count() == 1
        assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN
        assert ticket.attachments.count() == 1


def test_bad_replies_keep_the_text_and_write_nothing(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    ticket = make_ticket(tenant, me, "发票")
    client = browser(tenant)
    sign_in(client, outbox)
    url = f"/portal/tickets/{ticket.number}/reply/"
    empty = client.post(url, {"body": "  ", "token": "t1"})
    assert empty.status_code == 400 and "Write a message." in empty.content.decode()
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", "image/png")
    refused = client.post(url, {"body": "我的发票抬头", "token": "t2", "photos": fake})
    assert refused.status_code == 400 and "我的发票抬头" in refused.content.decode()
    with tenant_context(tenant):
        assert not TicketComment.objects.exists()


def test_rating_appears_once_resolved_and_only_once(tenant: Tenant, outbox: list) -> None:
    me = make_customer(tenant)
    ticket = make_ticket(tenant, me, "退款")
    client = browser(tenant)
    sign_in(client, outbox)
    url = f"/portal/tickets/{ticket.number}/rating/"
    assert "Rate our service" not in client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert client.post(url, {"score": "5"}).status_code == 409
    with tenant_context(tenant):
        ticket_status_set(ticket=ticket, status=Status.RESOLVED, actor="test")
    assert "Rate our service" in client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert client.post(url, {"score": "9"}).status_code == 400
    assert client.post(url, {"score": "4", "comment": "<b>很快</b>"}).status_code == 302
    assert client.post(url, {"score": "1"}).status_code == 409
    page = client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert "You rated this service 4 out of 5" in page
    with tenant_context(tenant):
        assert TicketRating.objects.get(ticket=ticket).comment == "<b>很快</b>"


def test_another_customers_ticket_is_404_on_every_route(tenant: Tenant, outbox: list) -> None:
    make_customer(tenant)
    other = make_customer(tenant, app_user="u-2", name="王先生", phone="13900009999")
    theirs = make_ticket(tenant, other, "别人的")
    client = browser(tenant)
    sign_in(client, outbox)
    base = f"/portal/tickets/{theirs.number}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "reply/", {"body": "hi", "token": "t"}).status_code == 404
    assert client.post(base + "rating/", {"score": "1"}).status_code == 404
    assert client.get(base + "files/1/").status_code == 404
    with tenant_context(tenant):
        assert not TicketComment.objects.exists()
