"""What customers do in the shop's APP or site ("viewed order", "submitted return request"),
reported in bulk by the shop's backend.

Each event carries the shop's own id (``event_id``, stored as ``ActivityEvent.external_id``):
an event reported again, in a later call or twice in one call, is counted as **duplicate**
and stored once; the first report wins. Invalid items are reported back and not written; the
valid ones are stored one transaction each. The customer is resolved as in
``customers.services.orders`` (an ``app_user`` identity, namespace "" by default).
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from django.core.validators import ProhibitNullCharactersValidator
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from customers.models import ActivityEvent
from customers.services.orders import (
    AppCustomerSerializer,
    AwareDateTimeField,
    app_customer_resolve,
    check_batch,
    item_ref,
    plain_errors,
)

log = structlog.get_logger("callcenter.customers")

MAX_DATA_BYTES = 8 * 1024


def _check_text(value: Any) -> None:
    """Every key and string in ``value`` must be storable as PostgreSQL jsonb text."""
    if isinstance(value, str):
        ProhibitNullCharactersValidator()(value)
        ProhibitSurrogateCharactersValidator()(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


class ActivityInputSerializer(serializers.Serializer):
    event_id = serializers.CharField(max_length=128, help_text="The shop's id of the event: the deduplication key.")
    kind = serializers.SlugField(max_length=60, help_text="e.g. viewed_order, submitted_return_request")
    occurred_at = AwareDateTimeField()
    # A field named like Serializer.data: the serializer metaclass takes it out of the class attributes.
    data = serializers.DictField(  # type: ignore[assignment]
        required=False, default=dict, help_text="Any JSON object, at most 8 KB."
    )
    customer = AppCustomerSerializer()

    default_error_messages = {
        "data_too_large": gettext_lazy("At most %(max)d bytes as JSON."),
    }

    def validate_data(self, value: dict[str, Any]) -> dict[str, Any]:
        _check_text(value)
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        if size > MAX_DATA_BYTES:
            raise serializers.ValidationError(self.error_messages["data_too_large"] % {"max": MAX_DATA_BYTES})
        return value


def _activity_apply(data: dict[str, Any], namespace: str) -> str:
    if ActivityEvent.objects.filter(external_id=data["event_id"]).exists():
        return "duplicate"
    try:
        with transaction.atomic():
            customer = app_customer_resolve(data["customer"], namespace=namespace)
            ActivityEvent.objects.create(
                customer=customer,
                kind=data["kind"],
                occurred_at=data["occurred_at"],
                data=data["data"],
                external_id=data["event_id"],
            )
    except IntegrityError:
        # The same event arrived concurrently and is stored: that is the duplicate case.
        if ActivityEvent.objects.filter(external_id=data["event_id"]).exists():
            return "duplicate"
        raise
    return "created"


def activity_record_bulk(*, items: list[dict[str, Any]], actor: str, namespace: str = "") -> dict[str, Any]:
    """Store up to ``MAX_BATCH`` activity events; returns the counts and the invalid items' errors."""
    items = check_batch(items)
    result: dict[str, Any] = {"created": 0, "duplicate": 0, "invalid": 0, "errors": []}
    valid: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        serializer = ActivityInputSerializer(data=item)
        if serializer.is_valid():
            valid.append(dict(serializer.validated_data))
        else:
            result["invalid"] += 1
            result["errors"].append(
                {"index": index, "event_id": item_ref(item, "event_id"), "errors": plain_errors(serializer.errors)}
            )
    for data in valid:
        result[_activity_apply(data, namespace)] += 1
    log.info("customers.activity_recorded", actor=actor, **{k: v for k, v in result.items() if k != "errors"})
    return result
