"""The outbox: deliveries to a channel's far end that must not be lost, with retries and backoff.

Adapters register a sender per channel kind. A sender either returns (delivered), raises
``DeliveryRetry`` (a timeout, a 5xx, an expired token: try again later) or ``DeliveryFailed``
(the far end refused for good, e.g. WeChat's 48-hour window has closed). Sending happens
outside any transaction; the row is locked only to claim it and to record the outcome.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from channels_app.models import Channel, DeliveryStatus, OutboundDelivery

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 8
# 5 s, 10 s, 20 s ... capped at 30 minutes: every countdown stays far below the broker's
# visibility timeout (1 hour), as docs/architecture.md asks.
BASE_BACKOFF_S = 5
MAX_BACKOFF_S = 30 * 60
# A claimed row whose worker died is claimable again after this.
CLAIM_LEASE_S = 120


class DeliveryRetry(Exception):
    """Try again later."""


class DeliveryFailed(Exception):
    """The far end refused this delivery for good."""


Sender = Callable[[OutboundDelivery], None]
SENDERS: dict[str, Sender] = {}


def sender_register(kind: str, sender: Sender) -> None:
    SENDERS[kind] = sender


def backoff_s(attempts: int) -> float:
    """Exponential backoff with full jitter on the upper half, so retries of many rows spread out."""
    ceiling = min(MAX_BACKOFF_S, BASE_BACKOFF_S * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def delivery_enqueue(
    *, channel: Channel, event: str, payload: dict[str, Any], dedupe_key: str, message_id: int | None = None
) -> tuple[OutboundDelivery, bool]:
    """Write the outbox row (once per dedupe key) and send it after commit."""
    from channels_app.tasks import deliver_outbound

    with transaction.atomic():
        row, created = OutboundDelivery.objects.get_or_create(
            channel=channel,
            dedupe_key=dedupe_key[:120],
            defaults={"event": event, "payload": payload, "message_id": message_id, "next_attempt_at": timezone.now()},
        )
        if created:
            deliver_outbound.delay_on_commit(row.pk)
    return row, created


def _claim(delivery_id: int) -> OutboundDelivery | None:
    """Take a due row for one attempt; another worker holding it, or a row not due, gives None."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            OutboundDelivery.objects.select_for_update(skip_locked=True)
            .select_related("channel")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
            .first()
        )
        if row is None or (row.next_attempt_at is not None and row.next_attempt_at > now):
            return None
        row.attempts += 1
        row.next_attempt_at = now + timedelta(seconds=CLAIM_LEASE_S)
        row.save(update_fields=["attempts", "next_attempt_at"])
    return row


def delivery_attempt(*, delivery_id: int) -> OutboundDelivery | None:
    """One attempt. Returns the row afterwards; schedules the next attempt when it should be retried."""
    from channels_app.tasks import deliver_outbound

    row = _claim(delivery_id)
    if row is None:
        return None
    sender = SENDERS.get(row.channel.kind)
    outcome, error = DeliveryStatus.DELIVERED, ""
    try:
        if sender is None:
            raise DeliveryFailed(f"no sender for channel kind {row.channel.kind}")
        sender(row)
    except DeliveryFailed as exc:
        outcome, error = DeliveryStatus.FAILED, str(exc)
    except DeliveryRetry as exc:
        outcome, error = DeliveryStatus.PENDING, str(exc)
    except Exception as exc:  # a sender's bug is retried like a network error, and logged loudly
        log.exception("outbox.sender_crashed", delivery=row.pk)
        outcome, error = DeliveryStatus.PENDING, f"{type(exc).__name__}: {exc}"
    now = timezone.now()
    if outcome == DeliveryStatus.PENDING and row.attempts >= MAX_ATTEMPTS:
        outcome = DeliveryStatus.FAILED
    row.status, row.last_error = outcome, error[:500]
    row.delivered_at = now if outcome == DeliveryStatus.DELIVERED else None
    delay = backoff_s(row.attempts)
    row.next_attempt_at = now + timedelta(seconds=delay) if outcome == DeliveryStatus.PENDING else None
    row.save(update_fields=["status", "last_error", "delivered_at", "next_attempt_at"])
    if outcome == DeliveryStatus.PENDING:
        deliver_outbound.apply_async((row.pk,), countdown=delay)
    log.info("outbox.attempt", delivery=row.pk, outcome=outcome, attempts=row.attempts, error=error[:200])
    return row


def deliveries_due_resend(*, limit: int = 500) -> int:
    """The sweep: re-send rows whose time has come (their task was lost, or a claim expired)."""
    from channels_app.tasks import deliver_outbound

    due = list(
        OutboundDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        deliver_outbound.delay(delivery_id)
    return len(due)
