"""The outbox: one row per dedupe key, retries with backoff, permanent failures, the sweep."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from callcenter.core.testing import TwoTenants
from channels_app.models import Channel, ChannelKind, DeliveryStatus, OutboundDelivery
from channels_app.services import outbox
from channels_app.services.outbox import DeliveryFailed, DeliveryRetry, backoff_s, delivery_attempt, delivery_enqueue

KIND = ChannelKind.WEB_WIDGET  # a kind with no sender of its own, so the test's stands in


@pytest.fixture
def outcomes() -> Iterator[list[str]]:
    """The test sender's scripted outcomes, one per attempt: ok, retry or fail."""
    script: list[str] = []
    seen: list[int] = []

    def sender(row: OutboundDelivery) -> None:
        seen.append(row.pk)
        outcome = script.pop(0) if script else "ok"
        if outcome == "retry":
            raise DeliveryRetry("HTTP 503")
        if outcome == "fail":
            raise DeliveryFailed("refused")

    previous = outbox.SENDERS.get(KIND)
    outbox.sender_register(KIND, sender)
    yield script
    if previous is None:
        outbox.SENDERS.pop(KIND, None)
    else:
        outbox.SENDERS[KIND] = previous


def _due_now(row: OutboundDelivery) -> None:
    OutboundDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())


def test_a_retry_backs_off_then_delivers(two_tenants: TwoTenants, outcomes: list[str]) -> None:
    outcomes.extend(["retry", "ok"])
    with tenant_context(two_tenants.a):
        channel = Channel.objects.create(kind=KIND, name="w")
        row, created = delivery_enqueue(channel=channel, event="message.created", payload={"a": 1}, dedupe_key="m:1")
        again, created_again = delivery_enqueue(channel=channel, event="message.created", payload={}, dedupe_key="m:1")
        assert created and not created_again and again.pk == row.pk
        first = delivery_attempt(delivery_id=row.pk)
        assert first is not None and first.status == DeliveryStatus.PENDING and first.last_error == "HTTP 503"
        assert first.next_attempt_at is not None and first.next_attempt_at > timezone.now()
        assert delivery_attempt(delivery_id=row.pk) is None  # not due yet: nothing happens
        _due_now(row)
        second = delivery_attempt(delivery_id=row.pk)
        assert second is not None and second.status == DeliveryStatus.DELIVERED and second.attempts == 2
        assert delivery_attempt(delivery_id=row.pk) is None  # delivered rows are never sent again


def test_permanent_failures_and_exhausted_retries_stop(two_tenants: TwoTenants, outcomes: list[str]) -> None:
    outcomes.append("fail")
    outcomes.extend(["retry"] * outbox.MAX_ATTEMPTS)
    with tenant_context(two_tenants.a):
        channel = Channel.objects.create(kind=KIND, name="w")
        refused, _ = delivery_enqueue(channel=channel, event="e", payload={}, dedupe_key="m:1")
        done = delivery_attempt(delivery_id=refused.pk)
        assert done is not None and done.status == DeliveryStatus.FAILED and done.attempts == 1
        flaky, _ = delivery_enqueue(channel=channel, event="e", payload={}, dedupe_key="m:2")
        for _ in range(outbox.MAX_ATTEMPTS):
            _due_now(flaky)
            last = delivery_attempt(delivery_id=flaky.pk)
        assert last is not None and last.status == DeliveryStatus.FAILED and last.attempts == outbox.MAX_ATTEMPTS


def test_backoff_grows_and_stays_below_the_visibility_timeout() -> None:
    assert 2.5 <= backoff_s(1) <= 5
    assert 40 <= backoff_s(5) <= 80
    assert all(backoff_s(n) <= outbox.MAX_BACKOFF_S for n in range(1, 40))


def test_a_real_worker_delivers_and_the_sweep_picks_up_lost_rows(
    two_tenants: TwoTenants, outcomes: list[str], celery_worker: object
) -> None:
    with tenant_context(two_tenants.a):
        channel = Channel.objects.create(kind=KIND, name="w")
        row, _ = delivery_enqueue(channel=channel, event="e", payload={}, dedupe_key="m:1")
        # A row whose task never ran (the broker lost it): only the sweep can find it.
        lost = OutboundDelivery.objects.create(
            channel=channel, event="e", dedupe_key="m:lost", next_attempt_at=timezone.now()
        )
        from channels_app.tasks import sweep_outbox

        sweep_outbox.delay()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            states = set(OutboundDelivery.objects.filter(pk__in=[row.pk, lost.pk]).values_list("status", flat=True))
            if states == {DeliveryStatus.DELIVERED}:
                break
            time.sleep(0.1)
        assert states == {DeliveryStatus.DELIVERED}
    with tenant_context(two_tenants.b):
        assert not OutboundDelivery.objects.exists()


def test_a_delivery_id_of_tenant_a_does_nothing_in_tenant_b(two_tenants: TwoTenants, outcomes: list[str]) -> None:
    with tenant_context(two_tenants.a):
        channel = Channel.objects.create(kind=KIND, name="w")
        row, _ = delivery_enqueue(channel=channel, event="e", payload={}, dedupe_key="m:1")
    with tenant_context(two_tenants.b):
        assert delivery_attempt(delivery_id=row.pk) is None
    with tenant_context(two_tenants.a):
        untouched = OutboundDelivery.objects.get(pk=row.pk)
        assert untouched.status == DeliveryStatus.PENDING and untouched.attempts == 0
