"""SLA clocks in business time: breaks, holidays, make-up working days, time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tickets.domain.sla import (
    BREACHED,
    FIRST_RESPONSE,
    RESOLUTION,
    WARNED,
    Calendar,
    add_business_time,
    always_open,
    business_seconds_between,
    clock,
    is_working,
    next_check,
    office_hours,
    steps_due,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600.0
# 2026: National Day holiday 1-7 October, with Sunday 27 September and Saturday 10 October worked.
NATIONAL_DAY = office_hours(
    holidays=frozenset(date(2026, 10, day) for day in range(1, 8)),
    make_up_days=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)


def at(y: int, m: int, d: int, hh: int, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def test_a_friday_evening_ticket_is_due_on_monday_skipping_the_lunch_break() -> None:
    cal = office_hours()
    # Friday 20 Nov 2026, 17:00: one hour left on Friday, then Monday 9-12 (3 h): 4 h lands at 12:00.
    assert add_business_time(at(2026, 11, 20, 17), 4 * HOUR, cal) == at(2026, 11, 23, 12)
    # Five hours: the lunch break does not count, so 14:00.
    assert add_business_time(at(2026, 11, 20, 17), 5 * HOUR, cal) == at(2026, 11, 23, 14)


def test_holidays_are_skipped_and_make_up_saturdays_count() -> None:
    # Wednesday 30 September 17:00 + 2 h: one hour on the 30th, then nothing until Thursday 8 October.
    assert add_business_time(at(2026, 9, 30, 17), 2 * HOUR, NATIONAL_DAY) == at(2026, 10, 8, 10)
    # Friday 9 October 17:00 + 2 h: Saturday 10 October is a working day.
    assert add_business_time(at(2026, 10, 9, 17), 2 * HOUR, NATIONAL_DAY) == at(2026, 10, 10, 10)
    assert is_working(at(2026, 9, 27, 10), NATIONAL_DAY) and not is_working(at(2026, 10, 2, 10), NATIONAL_DAY)


def test_a_time_given_in_another_zone_is_counted_in_the_calendars_zone() -> None:
    cal = office_hours()
    monday_0100_utc = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert add_business_time(monday_0100_utc, HOUR, cal) == at(2026, 11, 23, 10)


def test_bad_calendars_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="seven days"):
        Calendar(week=[[]] * 6)
    with pytest.raises(ValueError, match="overlap"):
        office_hours({0: [(time(9), time(12)), (time(11), time(13))]})
    with pytest.raises(ValueError, match="time zone"):
        add_business_time(datetime(2026, 11, 23, 9), 60, office_hours())
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(at(2026, 11, 23, 9), 60, Calendar())


moments = st.datetimes(min_value=datetime(2026, 9, 20), max_value=datetime(2026, 10, 20), timezones=st.just(SHANGHAI))


@settings(max_examples=200)
@given(moments, st.floats(0, 60 * HOUR))
def test_the_deadline_is_exactly_that_much_business_time_later(start: datetime, seconds: float) -> None:
    deadline = add_business_time(start, seconds, NATIONAL_DAY)
    assert deadline >= start
    assert business_seconds_between(start, deadline, NATIONAL_DAY) == pytest.approx(seconds, abs=1e-3)


@given(moments, st.floats(1, 40 * HOUR))
def test_a_positive_wait_never_ends_outside_working_hours(start: datetime, seconds: float) -> None:
    deadline = add_business_time(start, seconds, NATIONAL_DAY)
    just_before = deadline - timedelta(microseconds=1)
    assert is_working(just_before, NATIONAL_DAY)


@given(moments, st.floats(0, 100 * HOUR))
def test_a_calendar_open_all_the_time_is_plain_clock_time(start: datetime, seconds: float) -> None:
    deadline = add_business_time(start, seconds, always_open())
    assert (deadline - start).total_seconds() == pytest.approx(seconds, abs=1e-3)


@given(moments, moments)
def test_business_time_never_exceeds_clock_time(a: datetime, b: datetime) -> None:
    counted = business_seconds_between(a, b, NATIONAL_DAY)
    assert 0 <= counted <= max(0.0, (b - a).total_seconds()) + 1e-6


# --- the clocks' warning and breach steps ---------------------------------------------------

moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(SHANGHAI))


@given(start=moments, target_h=st.integers(1, 40), warn_min=st.integers(0, 600), later_h=st.floats(0, 400))
@settings(max_examples=150, deadline=None)
def test_a_clock_warns_before_it_is_due_and_each_step_happens_once(
    start: datetime, target_h: int, warn_min: int, later_h: float
) -> None:
    item = clock(FIRST_RESPONSE, start, target_h * HOUR, warn_min * 60.0, NATIONAL_DAY)
    assert start <= item.warn_at <= item.due
    now = start + timedelta(hours=later_h)
    done: list[str] = []
    for _round in range(3):  # the sweep running again and again at the same moment
        done += steps_due([item], done, now)
    assert len(done) == len(set(done))
    if now >= item.due:
        assert done[-1] == f"{FIRST_RESPONSE}_{BREACHED}" and next_check([item], done) is None
    elif now >= item.warn_at:
        assert done == [f"{FIRST_RESPONSE}_{WARNED}"] and next_check([item], done) == item.due
    else:
        assert done == [] and next_check([item], done) == item.warn_at


def test_pausing_pushes_the_deadline_back_by_the_paused_business_time() -> None:
    start = at(2026, 11, 23, 9)
    plain = clock(RESOLUTION, start, 8 * HOUR, 0, office_hours())
    paused = clock(RESOLUTION, start, 8 * HOUR, 0, office_hours(), paused_s=2 * HOUR)
    assert business_seconds_between(plain.due, paused.due, office_hours()) == 2 * HOUR
