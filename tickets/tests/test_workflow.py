"""The ticket status workflow and the reopen rule, as properties."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tickets.domain.workflow import (
    ALLOWED,
    CLOSED,
    OPEN,
    RESOLVED,
    WAITING_CUSTOMER,
    may_move,
    status_after_customer_reply,
)

STATUSES = sorted(ALLOWED)
T0 = datetime(2026, 11, 11, 10, 0)


def test_closed_is_final_and_resolved_only_reopens_or_closes() -> None:
    assert not any(may_move(CLOSED, other) for other in STATUSES)
    assert {s for s in STATUSES if may_move(RESOLVED, s)} == {OPEN, CLOSED}


@given(st.sampled_from(STATUSES), st.sampled_from(STATUSES))
def test_no_status_moves_to_itself_and_every_working_status_can_be_resolved(current: str, wanted: str) -> None:
    assert not may_move(current, current)
    if current not in (RESOLVED, CLOSED):
        assert may_move(current, RESOLVED)


@given(st.integers(0, 30), st.integers(1, 14))
def test_a_reply_reopens_a_resolved_ticket_only_within_the_days(days_later: int, reopen_days: int) -> None:
    now = T0 + timedelta(days=days_later)
    got = status_after_customer_reply(RESOLVED, T0, now, reopen_days)
    assert got == (OPEN if days_later <= reopen_days else None)


def test_a_reply_to_a_ticket_waiting_for_the_customer_hands_it_back() -> None:
    assert status_after_customer_reply(WAITING_CUSTOMER, None, T0, 7) == OPEN
    assert status_after_customer_reply(CLOSED, T0, T0, 7) is None
    assert status_after_customer_reply(OPEN, None, T0, 7) is None
