"""Orders pushed by the shop's backend: a bulk, idempotent upsert by order number.

Each call validates every item first. Invalid items are reported back (index, order number,
field errors) and not written; the valid ones are applied one transaction each, so one bad
or stale item never blocks the rest of the batch.

Per item, against the stored order with the same ``order_no``:

- none stored: **created**;
- ``updated_at`` older than the stored ``source_updated_at``: **stale**, skipped untouched
  (its customer is not even resolved);
- every stored field equal (``updated_at`` included): **unchanged**, nothing written;
- otherwise (newer, or the same ``updated_at`` with other content): **updated**.

The customer is found or made with ``contact_resolve`` from ``customer.app_user_id``: an
``app_user`` identity (a strong key, the shop's own user id) in the namespace the caller
passes, "" by default, meaning one account system per tenant (see
``channels_app.selectors.channel_app_user_namespace``).

The item validators and the customer helper here are shared with ``customers.services.activity``.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from customers.domain.phones import InvalidPhoneNumber, normalize_phone
from customers.models import Customer, IdentityKind, Order
from customers.services.identity import Contact, contact_resolve, surviving

log = structlog.get_logger("callcenter.customers")

MAX_BATCH = 500
MAX_ORDER_LINES = 500


# --- Validators shared by the APP sync services ----------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset: a time without one is refused, not guessed."""

    default_error_messages = {
        "naive": gettext_lazy("Give the time zone as well, e.g. 2026-11-24T10:00:00+08:00."),
    }

    def to_internal_value(self, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # out-of-range parts: DRF reports the format below
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        elif isinstance(value, datetime) and value.tzinfo is None:
            self.fail("naive")
        return super().to_internal_value(value)


def _text(max_length: int, **kwargs: Any) -> serializers.CharField:
    """Free text from the shop, kept exactly as sent (no trimming; markup stays plain text)."""
    kwargs.setdefault("required", False)
    kwargs.setdefault("allow_blank", True)
    if not kwargs["required"]:
        kwargs.setdefault("default", "")
    return serializers.CharField(max_length=max_length, trim_whitespace=False, **kwargs)


class AppCustomerSerializer(serializers.Serializer):
    app_user_id = serializers.CharField(max_length=128, help_text="The shop's own user id (strong key).")
    name = _text(100)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    phone_verified = serializers.BooleanField(required=False, default=False)


def check_batch(items: Any) -> list[Any]:
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_BATCH:
        raise ValidationError({"items": [_('Send "items" as a list of 1 to %(max)d items.') % {"max": MAX_BATCH}]})
    return items


def plain_errors(errors: Any) -> Any:
    """DRF's nested ErrorDetail structure as plain JSON: strings, lists and dicts."""
    if isinstance(errors, dict):
        return {str(key): plain_errors(value) for key, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [plain_errors(value) for value in errors]
    return str(errors)


def item_ref(item: Any, field: str) -> str | None:
    """The caller's id of an item, to name it in an error report (None when it has none)."""
    value = item.get(field) if isinstance(item, dict) else None
    return str(value)[:128] if isinstance(value, str | int) and not isinstance(value, bool) else None


def app_customer_resolve(data: dict[str, Any], *, namespace: str) -> Customer:
    return contact_resolve(
        Contact(
            kind=IdentityKind.APP_USER,
            namespace=namespace,
            external_id=data["app_user_id"],
            display_name=data["name"],
            phone=data["phone"],
            phone_verified=data["phone_verified"],
        )
    ).customer


# --- Orders -----------------------------------------------------------------------------------


class OrderLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    name = _text(200, required=True, allow_blank=False)
    qty = serializers.IntegerField(min_value=0, max_value=1_000_000)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))


class ShippingAddressSerializer(serializers.Serializer):
    name = _text(100)
    phone = _text(40)
    province = _text(60)
    city = _text(60)
    district = _text(60)
    detail = _text(500)


class OrderInputSerializer(serializers.Serializer):
    order_no = serializers.CharField(max_length=64)
    status = serializers.CharField(max_length=40)
    items: serializers.ListSerializer[Any] = serializers.ListSerializer(
        child=OrderLineSerializer(), required=False, max_length=MAX_ORDER_LINES, default=list
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))
    currency = serializers.RegexField(r"^[A-Za-z]{3}\Z", required=False, default="CNY")
    shipping_address = ShippingAddressSerializer(required=False, default=dict)
    logistics_status = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    logistics_company = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    tracking_no = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    placed_at = AwareDateTimeField()
    updated_at = AwareDateTimeField(help_text="When the shop last changed the order; older updates are skipped.")
    customer = AppCustomerSerializer()


def _address(given: dict[str, Any]) -> dict[str, Any]:
    address = {key: value for key, value in given.items() if value != ""}
    if address.get("phone"):
        try:
            address["phone_e164"] = normalize_phone(address["phone"])
        except InvalidPhoneNumber:
            pass  # kept as given; only a number that parses gets the normalized form
    return address


def _order_values(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": data["status"],
        "items": [
            {"sku": line["sku"], "name": line["name"], "qty": line["qty"], "price": str(line["price"])}
            for line in data["items"]
        ],
        "amount": data["amount"],
        "currency": data["currency"].upper(),
        "shipping_address": _address(data["shipping_address"]),
        "logistics_status": data["logistics_status"],
        "logistics_company": data["logistics_company"],
        "tracking_no": data["tracking_no"],
        "placed_at": data["placed_at"],
        "source_updated_at": data["updated_at"],
    }


def _same(stored: Any, new: Any) -> bool:
    if isinstance(stored, list | dict):  # JSON columns: compare as stored, key order aside
        return json.dumps(stored, sort_keys=True) == json.dumps(new, sort_keys=True)
    return bool(stored == new)


def _order_apply(data: dict[str, Any], namespace: str) -> str:
    existing = Order.objects.select_for_update().filter(order_no=data["order_no"]).first()
    if existing is not None and data["updated_at"] < existing.source_updated_at:
        return "stale"
    customer = app_customer_resolve(data["customer"], namespace=namespace)
    values = _order_values(data)
    if existing is None:
        Order.objects.create(order_no=data["order_no"], customer=customer, **values)
        return "created"
    changed = [name for name, value in values.items() if not _same(getattr(existing, name), value)]
    if existing.customer_id != customer.pk and surviving(existing.customer).pk != customer.pk:
        existing.customer = customer
        changed.append("customer")
    if not changed:
        return "unchanged"
    for name in changed:
        if name != "customer":
            setattr(existing, name, values[name])
    existing.save(update_fields=[*changed, "synced_at"])
    return "updated"


def orders_sync(*, items: list[dict[str, Any]], actor: str, namespace: str = "") -> dict[str, Any]:
    """Upsert up to ``MAX_BATCH`` orders; returns the counts and the invalid items' errors."""
    items = check_batch(items)
    result: dict[str, Any] = {"created": 0, "updated": 0, "unchanged": 0, "stale": 0, "invalid": 0, "errors": []}
    valid: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        serializer = OrderInputSerializer(data=item)
        if serializer.is_valid():
            valid.append(dict(serializer.validated_data))
        else:
            result["invalid"] += 1
            result["errors"].append(
                {"index": index, "order_no": item_ref(item, "order_no"), "errors": plain_errors(serializer.errors)}
            )
    for data in valid:
        for attempt in range(2):
            try:
                with transaction.atomic():
                    outcome = _order_apply(data, namespace)
                break
            except IntegrityError:
                # The same new order number arrived concurrently: the retry finds it and updates.
                if attempt == 1:
                    raise
        result[outcome] += 1
    log.info("customers.orders_synced", actor=actor, **{k: v for k, v in result.items() if k != "errors"})
    return result
