"""Signing in with a one-time code: who it finds, how long and how often a code works, rates and lockouts."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import host_of, make_user, tenant_client
from customers.models import ChannelIdentity, Customer
from portal.auth import PORTAL_SESSION_KEY
from portal.models import SignInCode
from portal.tests.helpers import PHONE, browser, last_code, make_customer, request_code, sign_in, text, wrong
from tenants.models import Tenant


def session_customer(tenant: Tenant, client: Client) -> Any:
    with tenant_context(tenant):
        value = client.session.get(PORTAL_SESSION_KEY)
        return value and value["id"]


def counts(tenant: Tenant) -> tuple[int, int]:
    with tenant_context(tenant):
        return Customer.objects.count(), ChannelIdentity.objects.count()


def test_a_known_phone_signs_in_as_its_customer_and_sees_the_home_page(tenant: Tenant, outbox: list) -> None:
    customer = make_customer(tenant)
    client = browser(tenant)
    page = client.get("/portal/sign-in/")
    assert page.status_code == 200 and 'name="destination"' in page.content.decode()
    response = request_code(client, "+86 138-1234-5678")
    assert response.status_code == 302 and response["Location"] == "/portal/sign-in/code/"
    [sent] = outbox
    assert sent["kind"] == "phone" and sent["to"] == PHONE
    assert len(sent["code"]) == 6 and sent["code"].isdigit() and sent["code"] in sent["text"]
    code_page = client.get("/portal/sign-in/code/")
    assert "+86138****5678" in code_page.content.decode()
    with tenant_context(tenant):  # neither the code nor the address is stored in clear
        row = SignInCode.objects.get()
        assert sent["code"] not in (row.code_digest, row.destination_digest) and PHONE not in row.destination_digest
    answer = client.post("/portal/sign-in/code/", {"code": sent["code"]})
    assert answer.status_code == 302 and answer["Location"] == "/portal/"
    assert session_customer(tenant, client) == customer.pk
    home = client.get("/portal/")
    assert home.status_code == 200 and "陈小姐" in home.content.decode()
    assert counts(tenant) == (1, 2)  # app_user + phone: nobody new


def test_an_unknown_email_becomes_a_customer_with_a_verified_identity(tenant: Tenant, outbox: list) -> None:
    client = browser(tenant)
    sign_in(client, outbox, " Li.Ming@Example.CN ")
    assert outbox[-1]["to"] == "li.ming@example.cn" and outbox[-1]["kind"] == "email"
    with tenant_context(tenant):
        customer = Customer.objects.get()
        assert customer.emails == ["li.ming@example.cn"]
        identity = ChannelIdentity.objects.get()
        assert (identity.kind, identity.external_id, identity.verified) == ("email", "li.ming@example.cn", True)
    assert session_customer(tenant, client) == customer.pk


def test_an_unknown_phone_becomes_a_customer_and_an_unverified_identity_is_verified(
    tenant: Tenant, outbox: list
) -> None:
    sign_in(browser(tenant), outbox, "13900001111")
    with tenant_context(tenant):
        identity = ChannelIdentity.objects.get()
        assert (identity.kind, identity.external_id, identity.verified) == ("phone", "+8613900001111", True)
    # A phone typed into the widget is unverified; proving it with a code verifies it.
    with tenant_context(tenant):
        from customers.services.identity import Contact, contact_resolve

        visitor = contact_resolve(Contact(kind="web_visitor", external_id="v-9", phone="13700002222")).customer
        assert not ChannelIdentity.objects.get(external_id="+8613700002222").verified
    client = browser(tenant)
    sign_in(client, outbox, "13700002222")
    assert session_customer(tenant, client) == visitor.pk
    with tenant_context(tenant):
        assert ChannelIdentity.objects.get(external_id="+8613700002222").verified


def test_a_phone_only_listed_on_a_profile_finds_that_profile(tenant: Tenant, outbox: list) -> None:
    with tenant_context(tenant):
        listed = Customer.objects.create(display_name="王先生", phones=["+8613600003333"])
    client = browser(tenant)
    sign_in(client, outbox, "136 0000 3333")
    assert session_customer(tenant, client) == listed.pk
    assert counts(tenant) == (1, 0)


def test_known_and_unknown_addresses_get_the_same_answer(tenant: Tenant, outbox: list) -> None:
    make_customer(tenant)
    known, unknown = browser(tenant), browser(tenant)
    a, b = request_code(known, "13812345678"), request_code(unknown, "13812345679")
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    page_a, page_b = known.get(a["Location"]), unknown.get(b["Location"])
    assert text(page_a).replace("5678", "XXXX") == text(page_b).replace("5679", "XXXX")
    assert len(outbox) == 2  # a code goes out either way
    # Wrong codes read the same too.
    wrong_a = known.post("/portal/sign-in/code/", {"code": wrong(outbox[0]["code"])})
    wrong_b = unknown.post("/portal/sign-in/code/", {"code": wrong(outbox[1]["code"])})
    assert wrong_a.status_code == wrong_b.status_code == 400
    assert text(wrong_a).replace("5678", "XXXX") == text(wrong_b).replace("5679", "XXXX")
    assert counts(tenant) == (1, 2)  # nothing was created for the unknown number


def test_bad_addresses_are_refused_and_nothing_is_sent(tenant: Tenant, outbox: list) -> None:
    client = browser(tenant)
    for bad in ["", "12345", "138<script>", "not-an-email@", "a@b", "x" * 300]:
        response = request_code(client, bad)
        assert response.status_code == 400, bad
        page = response.content.decode()
        assert "Enter a mobile number" in page or "Enter your mobile number" in page or "at most" in page
    assert outbox == []
    with tenant_context(tenant):
        assert not SignInCode.objects.exists()


def test_a_code_expires(tenant: Tenant, outbox: list) -> None:
    client = browser(tenant)
    request_code(client, "13812345678")
    with tenant_context(tenant):
        SignInCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post("/portal/sign-in/code/", {"code": last_code(outbox)})
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert session_customer(tenant, client) is None and counts(tenant) == (0, 0)


def test_a_code_works_once_and_only_the_newest_code_counts(tenant: Tenant, outbox: list, settings: Any) -> None:
    settings.PORTAL_CODE_SEND_INTERVAL_S = 1
    client = browser(tenant)
    request_code(client, "13812345678")
    first = last_code(outbox)
    time.sleep(1.1)
    assert client.post("/portal/sign-in/resend/").status_code == 302
    second = last_code(outbox)
    if first != second:
        refused = client.post("/portal/sign-in/code/", {"code": first})
        assert refused.status_code == 400 and session_customer(tenant, client) is None
    assert client.post("/portal/sign-in/code/", {"code": second}).status_code == 302
    # The same code again (replayed from another device that has the address pending): worth nothing.
    replay = browser(tenant)
    replay_session_setup(tenant, replay)
    response = replay.post("/portal/sign-in/code/", {"code": second})
    assert response.status_code == 400 and "Ask for a new code" in response.content.decode()
    assert session_customer(tenant, replay) is None


def replay_session_setup(tenant: Tenant, client: Client) -> None:
    """Put a pending sign-in for +8613812345678 into the client's session, as the sign-in form does."""
    with tenant_context(tenant):
        session = client.session
        session["portal_sign_in"] = {"kind": "phone", "value": PHONE, "next": "/portal/", "schema": tenant.schema_name}
        session.save()
        client.cookies["sessionid"] = session.session_key


def test_five_wrong_tries_kill_the_code(tenant: Tenant, outbox: list) -> None:
    client = browser(tenant)
    request_code(client, "13812345678")
    code = last_code(outbox)
    for attempt in range(1, 5):
        response = client.post("/portal/sign-in/code/", {"code": wrong(code)})
        assert response.status_code == 400
        assert f"{5 - attempt} tr" in response.content.decode()  # "4 tries left" ... "1 try left"
    response = client.post("/portal/sign-in/code/", {"code": wrong(code)})
    assert response.status_code == 400 and "Too many wrong tries" in response.content.decode()
    response = client.post("/portal/sign-in/code/", {"code": code})  # the right one, too late
    assert response.status_code == 400 and "Too many wrong tries" in response.content.decode()
    assert session_customer(tenant, client) is None


def test_malformed_codes_are_refused_without_using_a_try(tenant: Tenant, outbox: list) -> None:
    client = browser(tenant)
    request_code(client, "13812345678")
    for bad in ["", "12345", "1234567", "abcdef", "<b>12</b>"]:
        response = client.post("/portal/sign-in/code/", {"code": bad})
        assert response.status_code == 400 and "Enter the 6 digits" in response.content.decode()
    with tenant_context(tenant):
        assert SignInCode.objects.get().attempts == 0
    assert client.post("/portal/sign-in/code/", {"code": f" {last_code(outbox)} "}).status_code == 302


def test_guessing_locks_the_address_out(tenant: Tenant, outbox: list, settings: Any) -> None:
    settings.PORTAL_CODE_SEND_INTERVAL_S = 1
    client = browser(tenant)
    request_code(client, "13812345678")
    for _ in range(5):
        client.post("/portal/sign-in/code/", {"code": wrong(last_code(outbox))})
    time.sleep(1.1)
    assert client.post("/portal/sign-in/resend/").status_code == 302
    for _ in range(4):
        assert client.post("/portal/sign-in/code/", {"code": wrong(last_code(outbox))}).status_code == 400
    locked = client.post("/portal/sign-in/code/", {"code": wrong(last_code(outbox))})  # the 10th failure
    assert locked.status_code == 429 and "Too many failed sign-in attempts" in locked.content.decode()
    assert int(locked["Retry-After"]) > 800
    # Locked: the right code is refused, from another browser and network too, and no code is sent.
    other = browser(tenant, REMOTE_ADDR="198.51.100.1")
    replay_session_setup(tenant, other)
    assert other.post("/portal/sign-in/code/", {"code": last_code(outbox)}).status_code == 429
    time.sleep(1.1)
    sent = len(outbox)
    assert request_code(browser(tenant, REMOTE_ADDR="198.51.100.2"), "13812345678").status_code == 429
    assert len(outbox) == sent
    # Another address is not locked.
    assert request_code(browser(tenant, REMOTE_ADDR="198.51.100.3"), "13900001111").status_code == 302


def test_codes_are_sent_at_most_once_a_minute_and_ten_times_an_hour(
    tenant: Tenant, outbox: list, settings: Any
) -> None:
    settings.PORTAL_CODE_SEND_INTERVAL_S = 2
    settings.PORTAL_CODE_SENDS_PER_HOUR = 2
    first = browser(tenant)
    assert request_code(first, "13812345678").status_code == 302
    again = request_code(browser(tenant), "13812345678")  # another browser, at once
    assert again.status_code == 429 and "A code was just sent" in again.content.decode()
    assert 0 < int(again["Retry-After"]) <= 2
    # The same browser going back and submitting again just returns to the code page.
    assert request_code(first, "138 1234 5678")["Location"] == "/portal/sign-in/code/"
    resend = first.post("/portal/sign-in/resend/")
    assert resend.status_code == 429 and "A code was just sent" in resend.content.decode()
    assert len(outbox) == 1
    time.sleep(2.1)
    assert first.post("/portal/sign-in/resend/").status_code == 302
    time.sleep(2.1)
    refused = first.post("/portal/sign-in/resend/")
    assert refused.status_code == 429 and "Too many codes were asked for" in refused.content.decode()
    assert len(outbox) == 2


def test_one_network_cannot_send_codes_to_many_addresses(tenant: Tenant, outbox: list, settings: Any) -> None:
    settings.PORTAL_CODE_SENDS_PER_IP_PER_HOUR = 3
    client = browser(tenant)
    for n in range(3):
        assert request_code(client, f"1390000000{n}").status_code == 302
    refused = request_code(client, "13900000009")
    assert refused.status_code == 429 and "Too many codes" in refused.content.decode()
    assert len(outbox) == 3
    assert request_code(browser(tenant, REMOTE_ADDR="198.51.100.9"), "13900000009").status_code == 302


def test_a_sender_that_fails_lets_the_customer_retry(tenant: Tenant, settings: Any) -> None:
    settings.PORTAL_CODE_SENDER = "portal.tests.test_sign_in.BrokenSender"
    response = request_code(browser(tenant), "13812345678")
    assert response.status_code == 503 and "could not be sent" in response.content.decode()
    with tenant_context(tenant):
        assert not SignInCode.objects.exists()
    settings.PORTAL_CODE_SENDER = "callcenter.integrations.otp.LocmemCodeSender"
    assert request_code(browser(tenant), "13812345678").status_code == 302  # no one-minute wait


class BrokenSender:
    kinds = frozenset({"phone", "email"})

    def send_code(self, **kwargs: str) -> None:
        from callcenter.integrations.otp import CodeSendError

        raise CodeSendError("provider down")


def test_an_email_only_sender_refuses_phones_plainly(tenant: Tenant, settings: Any) -> None:
    settings.PORTAL_CODE_SENDER = "callcenter.integrations.otp.EmailCodeSender"
    response = request_code(browser(tenant), "13812345678")
    assert response.status_code == 400 and "Use your e-mail address" in response.content.decode()


def test_staff_sign_in_is_not_a_portal_sign_in_and_the_reverse(tenant: Tenant, outbox: list) -> None:
    make_user(tenant, "staff", staff=True)
    staff = tenant_client(tenant, "staff")
    response = staff.get("/portal/")
    assert response.status_code == 302 and response["Location"] == "/portal/sign-in/?next=%2Fportal%2F"
    customer_browser = browser(tenant)
    sign_in(customer_browser, outbox)
    assert customer_browser.get("/").status_code == 302  # the staff home still wants a staff sign-in
    assert customer_browser.get("/admin/").status_code == 302


def test_signing_out_needs_a_post_and_ends_the_portal_session(tenant: Tenant, outbox: list) -> None:
    make_customer(tenant)
    client = browser(tenant)
    sign_in(client, outbox)
    assert client.get("/portal/sign-out/").status_code == 405
    out = client.post("/portal/sign-out/")
    assert out.status_code == 302 and out["Location"] == "/portal/sign-in/?signed_out=1"
    assert session_customer(tenant, client) is None
    assert client.get("/portal/")["Location"].startswith("/portal/sign-in/")


def test_forms_need_the_csrf_token(tenant: Tenant, outbox: list) -> None:
    client = Client(HTTP_HOST=host_of(tenant), enforce_csrf_checks=True)
    assert client.post("/portal/sign-in/", {"destination": "13812345678"}).status_code == 403
    assert client.post("/portal/sign-out/").status_code == 403
    assert outbox == []


def test_next_only_leads_into_the_portal(tenant: Tenant, outbox: list) -> None:
    make_customer(tenant)
    for next_url, expected in [
        ("/portal/orders/X1/", "/portal/orders/X1/"),
        ("https://evil.example/", "/portal/"),
        ("//evil.example/portal/", "/portal/"),
        ("/admin/", "/portal/"),
        ("javascript:alert(1)", "/portal/"),
    ]:
        client = browser(tenant, REMOTE_ADDR=f"198.51.100.{len(next_url)}")
        client.get("/portal/sign-in/", {"next": next_url})
        response = client.post("/portal/sign-in/", {"destination": "13812345678", "next": next_url})
        assert response.status_code == 302
        answer = client.post("/portal/sign-in/code/", {"code": last_code(outbox)})
        assert answer["Location"] == expected, next_url
        from django.core.cache import cache

        cache.clear()  # the next round sends a code to the same number at once


def test_pages_are_private_and_under_a_strict_csp(tenant: Tenant, outbox: list) -> None:
    client = browser(tenant)
    for path in ["/portal/sign-in/", "/portal/"]:
        response = client.get(path)
        assert "no-cache" in response["Cache-Control"] and "private" in response["Cache-Control"]
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    page = client.get("/portal/sign-in/").content.decode()
    assert "<script" not in page and "style=" not in page


def test_old_codes_are_purged_by_the_tenant_task(tenant: Tenant, outbox: list) -> None:
    from portal.tasks import purge_sign_in_codes

    request_code(browser(tenant), "13812345678")
    request_code(browser(tenant, REMOTE_ADDR="198.51.100.5"), "13900001111")
    with tenant_context(tenant):
        SignInCode.objects.filter(pk=SignInCode.objects.order_by("pk").first().pk).update(
            expires_at=timezone.now() - timedelta(days=2)
        )
        assert purge_sign_in_codes.run() == 1
        assert SignInCode.objects.count() == 1
