"""Portal test helpers: browsers on a tenant's host, customers with orders and tickets, signing in."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import host_of
from customers.models import Customer, Order
from customers.services.identity import Contact, contact_resolve
from tenants.models import Tenant
from tickets.models import Ticket, TicketCounter

PHONE = "+8613812345678"
WECHAT_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"
)


def browser(tenant: Tenant, **headers: str) -> Client:
    """A phone's browser on the tenant's host, in English (the messages are asserted in English)."""
    return Client(
        **({"HTTP_HOST": host_of(tenant), "HTTP_ACCEPT_LANGUAGE": "en", "REMOTE_ADDR": "203.0.113.7"} | headers)
    )


def make_customer(tenant: Tenant, *, app_user: str = "u-1", name: str = "陈小姐", phone: str = PHONE) -> Customer:
    with tenant_context(tenant):
        return contact_resolve(
            Contact(kind="app_user", external_id=app_user, display_name=name, phone=phone, phone_verified=True)
        ).customer


def make_order(tenant: Tenant, customer: Customer, order_no: str, **fields: Any) -> Order:
    at = timezone.now() - timedelta(hours=1)
    values: dict[str, Any] = {
        "status": "paid",
        "amount": Decimal("199.00"),
        "items": [{"sku": "SKU-1", "name": "保温杯", "qty": 1, "price": "199.00"}],
        "shipping_address": {
            "name": "陈小姐",
            "phone": "13812345678",
            "province": "广东省",
            "city": "深圳市",
            "district": "南山区",
            "detail": "科技园路 1 号 2 栋 301",
        },
        "placed_at": at,
        "source_updated_at": at,
    }
    with tenant_context(tenant):
        return Order.objects.create(customer=customer, order_no=order_no, **(values | fields))


def make_ticket(tenant: Tenant, customer: Customer, subject: str = "杯子漏水", **fields: Any) -> Ticket:
    with tenant_context(tenant):
        counter, _ = TicketCounter.objects.get_or_create(pk=1)
        counter.last_number += 1
        counter.save()
        return Ticket.objects.create(number=counter.last_number, subject=subject, customer=customer, **fields)


def last_code(outbox: list[dict[str, str]]) -> str:
    assert outbox, "no code was sent"
    return outbox[-1]["code"]


def request_code(client: Client, destination: str, **extra: str) -> Any:
    return client.post("/portal/sign-in/", {"destination": destination, **extra})


def sign_in(client: Client, outbox: list[dict[str, str]], destination: str = "138 1234 5678") -> Any:
    """The whole code sign-in; returns the answer to the code (a redirect when it worked)."""
    response = request_code(client, destination)
    assert response.status_code == 302 and response["Location"] == "/portal/sign-in/code/", response.content
    answer = client.post("/portal/sign-in/code/", {"code": last_code(outbox)})
    assert answer.status_code == 302, answer.content.decode()
    return answer


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def text(response: Any) -> str:
    """The page's text without the CSRF token (it differs per session)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
