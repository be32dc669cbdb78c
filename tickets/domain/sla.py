"""Business time for SLA clocks: working hours with breaks, holidays and make-up working days
(调休, when China moves a weekend day into the working week), in the calendar's own time zone.

``add_business_time`` finds a deadline (a first response due 4 business hours after a ticket
came in on Friday at 17:00 is due on Monday at 12:00 with a 9-18 day and a noon break);
``business_seconds_between`` measures the time that counted. The two are inverse, which the
property tests check, and neither ever counts a second outside working hours.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[time, time]  # start < end, within one day

MAX_DAYS_SCANNED = 3660  # a calendar with no working time at all would otherwise never end


@dataclass(frozen=True)
class Calendar:
    """``week[0]`` is Monday's working intervals (empty: a day off). ``make_up_days`` are working
    days on what would be a day off, with ``make_up_hours`` (Monday's hours when empty)."""

    timezone: str = "Asia/Shanghai"
    week: Sequence[Sequence[Interval]] = field(default_factory=lambda: [[]] * 7)
    holidays: frozenset[date] = frozenset()
    make_up_days: frozenset[date] = frozenset()
    make_up_hours: Sequence[Interval] = ()

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError("A week has seven days, Monday first.")
        for day in (*self.week, self.make_up_hours):
            previous_end = time.min
            for start, end in day:
                if not start < end or start < previous_end:
                    raise ValueError("Intervals must be in order, not overlap, and end after they start.")
                previous_end = end

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def intervals_on(self, day: date) -> Sequence[Interval]:
        if day in self.make_up_days:
            return self.make_up_hours or self.week[0]
        if day in self.holidays:
            return ()
        return self.week[day.weekday()]


def always_open(timezone: str = "Asia/Shanghai") -> Calendar:
    whole_day = [(time.min, time.max)]
    return Calendar(timezone, [whole_day] * 7)


def office_hours(
    days: Mapping[int, Sequence[Interval]] | None = None,
    *,
    timezone: str = "Asia/Shanghai",
    holidays: frozenset[date] = frozenset(),
    make_up_days: frozenset[date] = frozenset(),
) -> Calendar:
    """Monday to Friday 09:00-12:00 and 13:00-18:00 unless ``days`` says otherwise."""
    standard = [(time(9), time(12)), (time(13), time(18))]
    week = [list((days or {}).get(weekday, standard if weekday < 5 else [])) for weekday in range(7)]
    return Calendar(timezone, week, holidays, make_up_days)


def _spans(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working spans from ``start`` on, in order, as aware datetimes (clipped at ``start``)."""
    zone = calendar.zone
    local = start.astimezone(zone)
    day = local.date()
    for _ in range(MAX_DAYS_SCANNED):
        for begin, end in calendar.intervals_on(day):
            span_start = datetime.combine(day, begin, zone)
            # time.max means "to midnight": the span runs into the next day's first instant.
            span_end = (
                datetime.combine(day + timedelta(days=1), time.min, zone)
                if end == time.max
                else datetime.combine(day, end, zone)
            )
            if span_end <= start:
                continue
            yield max(span_start, start), span_end
        day += timedelta(days=1)


def add_business_time(start: datetime, seconds: float, calendar: Calendar) -> datetime:
    """The moment ``seconds`` of working time after ``start``. Raises if the calendar never works."""
    if start.tzinfo is None:
        raise ValueError("start must carry its time zone")
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    left = seconds
    for span_start, span_end in _spans(calendar, start):
        available = (span_end - span_start).total_seconds()
        if left <= available:
            return span_start + timedelta(seconds=left)
        left -= available
    raise ValueError("This calendar has no working time within ten years.")


def business_seconds_between(start: datetime, end: datetime, calendar: Calendar) -> float:
    """Working seconds from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0.0
    counted = 0.0
    for span_start, span_end in _spans(calendar, start):
        if span_start >= end:
            break
        counted += (min(span_end, end) - span_start).total_seconds()
    return counted


def is_working(moment: datetime, calendar: Calendar) -> bool:
    local = moment.astimezone(calendar.zone)
    clock = local.time()
    return any(
        begin <= clock and (end == time.max or clock < end) for begin, end in calendar.intervals_on(local.date())
    )


# --- SLA clocks on a ticket -------------------------------------------------------------------

FIRST_RESPONSE, RESOLUTION = "first_response", "resolution"
WARNED, BREACHED = "warned", "breached"


@dataclass(frozen=True)
class Clock:
    """One running target: when to warn, and when it is breached."""

    name: str
    warn_at: datetime
    due: datetime


def clock(
    name: str, start: datetime, target_s: float, warn_before_s: float, calendar: Calendar, paused_s: float = 0.0
) -> Clock:
    """A target of ``target_s`` business seconds from ``start``, pushed back by the time it was paused.
    The warning comes ``warn_before_s`` business seconds before the deadline (at once if the target
    is shorter than that)."""
    budget = target_s + paused_s
    due = add_business_time(start, budget, calendar)
    return Clock(name, add_business_time(start, max(0.0, budget - warn_before_s), calendar), due)


def steps_due(clocks: Sequence[Clock], done: Sequence[str], now: datetime) -> list[str]:
    """What the sweep must do now, e.g. ``["first_response_warned"]``. A clock found already past its
    deadline is breached without a warning first (the warning would come too late to help)."""
    steps: list[str] = []
    for item in clocks:
        warned, breached = f"{item.name}_{WARNED}", f"{item.name}_{BREACHED}"
        if breached in done:
            continue
        if now >= item.due:
            steps.append(breached)
        elif now >= item.warn_at and warned not in done:
            steps.append(warned)
    return steps


def next_check(clocks: Sequence[Clock], done: Sequence[str]) -> datetime | None:
    """The next moment something is due for these clocks, or None when nothing is left to do."""
    moments: list[datetime] = []
    for item in clocks:
        if f"{item.name}_{BREACHED}" in done:
            continue
        moments.append(item.due if f"{item.name}_{WARNED}" in done else item.warn_at)
    return min(moments, default=None)
