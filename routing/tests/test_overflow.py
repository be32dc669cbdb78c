"""Overflow to the backup pool starts and ends with hysteresis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.domain.overflow import OverflowPolicy, QueueLoad, overflow_next

POLICY = OverflowPolicy(on_ratio=3.0, off_ratio=1.0, min_hold_s=60)


def test_starts_when_every_primary_agent_is_busy_and_contacts_wait() -> None:
    load = QueueLoad(waiting=1, primary_ready=5, primary_with_room=0)
    assert overflow_next(active=False, changed_at=0, now=100, load=load, policy=POLICY)


def test_starts_when_too_many_wait_per_ready_agent_even_with_room() -> None:
    load = QueueLoad(waiting=30, primary_ready=10, primary_with_room=2)
    assert overflow_next(active=False, changed_at=0, now=100, load=load, policy=POLICY)


def test_does_not_start_with_nobody_waiting() -> None:
    load = QueueLoad(waiting=0, primary_ready=5, primary_with_room=0)
    assert not overflow_next(active=False, changed_at=0, now=100, load=load, policy=POLICY)


def test_stays_on_between_the_two_marks() -> None:
    load = QueueLoad(waiting=20, primary_ready=10, primary_with_room=3)  # ratio 2: below on, above off
    assert overflow_next(active=True, changed_at=0, now=100, load=load, policy=POLICY)
    assert not overflow_next(active=False, changed_at=0, now=100, load=load, policy=POLICY)


def test_stays_on_while_primary_agents_are_all_busy() -> None:
    load = QueueLoad(waiting=0, primary_ready=10, primary_with_room=0)
    assert overflow_next(active=True, changed_at=0, now=100, load=load, policy=POLICY)


def test_ends_when_primary_has_room_and_the_queue_is_short() -> None:
    load = QueueLoad(waiting=2, primary_ready=10, primary_with_room=1)
    assert not overflow_next(active=True, changed_at=0, now=100, load=load, policy=POLICY)


def test_policy_with_marks_the_wrong_way_round_is_refused() -> None:
    with pytest.raises(ValueError, match="flap"):
        OverflowPolicy(on_ratio=1.0, off_ratio=2.0)


loads = st.builds(
    lambda waiting, ready, room: QueueLoad(waiting, ready, min(room, ready)),
    st.integers(0, 50),
    st.integers(0, 20),
    st.integers(0, 20),
)


@given(active=st.booleans(), load=loads, elapsed=st.floats(0, 59.9))
def test_never_changes_within_the_hold_time(active: bool, load: QueueLoad, elapsed: float) -> None:
    assert overflow_next(active=active, changed_at=1000, now=1000 + elapsed, load=load, policy=POLICY) is active


@given(load=loads)
def test_a_state_just_entered_is_kept_under_the_same_load(load: QueueLoad) -> None:
    """No flapping: where the off state switches on, the on state does not switch off, and back."""
    turned_on = overflow_next(active=False, changed_at=0, now=100, load=load, policy=POLICY)
    if turned_on:
        assert overflow_next(active=True, changed_at=100, now=200, load=load, policy=POLICY)
    turned_off = not overflow_next(active=True, changed_at=0, now=100, load=load, policy=POLICY)
    if turned_off:
        assert not overflow_next(active=False, changed_at=100, now=200, load=load, policy=POLICY)
