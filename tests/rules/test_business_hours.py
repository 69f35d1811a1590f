"""Business-hours arithmetic: only opening hours of working days count, DST-correct."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from care.domain.business_hours import elapsed
from care.domain.policy import BusinessHours

NINE_TO_FIVE = BusinessHours(timezone="UTC", start=time(9), end=time(17))
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_without_a_calendar_wall_clock_time_counts() -> None:
    assert elapsed(utc(2025, 3, 7, 16), utc(2025, 3, 10, 10), None) == timedelta(hours=66)


def test_end_before_start_counts_nothing() -> None:
    assert elapsed(utc(2025, 3, 10, 10), utc(2025, 3, 7, 16), NINE_TO_FIVE) == timedelta(0)


def test_friday_afternoon_to_monday_morning_counts_two_hours() -> None:
    # Friday 16:00 → 17:00 (1 h), weekend closed, Monday 09:00 → 10:00 (1 h).
    assert elapsed(utc(2025, 3, 7, 16), utc(2025, 3, 10, 10), NINE_TO_FIVE) == timedelta(hours=2)


def test_time_outside_opening_hours_does_not_count() -> None:
    # Tuesday 20:00 → Wednesday 08:00 is all night.
    assert elapsed(utc(2025, 3, 4, 20), utc(2025, 3, 5, 8), NINE_TO_FIVE) == timedelta(0)
    # Tuesday 07:00 → 09:30: only the half hour after opening.
    half_hour = timedelta(minutes=30)
    assert elapsed(utc(2025, 3, 4, 7), utc(2025, 3, 4, 9, 30), NINE_TO_FIVE) == half_hour


def test_a_holiday_is_closed() -> None:
    calendar = NINE_TO_FIVE.model_copy(update={"holidays": (date(2025, 3, 7),)})
    # Thursday 16:00 → Monday 10:00 with Friday off: 1 h + 1 h.
    assert elapsed(utc(2025, 3, 6, 16), utc(2025, 3, 10, 10), calendar) == timedelta(hours=2)


def test_opening_hours_follow_the_calendar_time_zone_across_the_dst_weekend() -> None:
    calendar = BusinessHours(timezone="Europe/Berlin", start=time(9), end=time(17))
    # Europe moves to summer time on Sunday 2025-03-30: Friday is UTC+1, Monday UTC+2.
    start = berlin(2025, 3, 28, 16)
    end = berlin(2025, 3, 31, 10)
    assert elapsed(start, end, calendar) == timedelta(hours=2)
    # The same span given in UTC gives the same answer.
    assert elapsed(start.astimezone(UTC), end.astimezone(UTC), calendar) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("day", "hours"),
    [(date(2025, 3, 30), 3), (date(2025, 10, 26), 5), (date(2025, 3, 23), 4)],
    ids=["spring-forward-day", "fall-back-day", "ordinary-sunday"],
)
def test_a_window_spanning_the_clock_change_is_as_long_as_it_really_is(
    day: date, hours: int
) -> None:
    night_shift = BusinessHours(timezone="Europe/Berlin", days=("sun",), start=time(1), end=time(5))
    start = datetime.combine(day, time(0), BERLIN)
    end = datetime.combine(day, time(23), BERLIN)
    assert elapsed(start, end, night_shift) == timedelta(hours=hours)


def test_a_span_of_months_counts_every_working_day() -> None:
    calendar = BusinessHours(timezone="Europe/Berlin", start=time(9), end=time(17))
    start, end = berlin(2025, 1, 1, 0), berlin(2025, 7, 1, 0)
    working_days = sum(
        1
        for n in range((end.date() - start.date()).days)
        if (start.date() + timedelta(days=n)).weekday() < 5
    )
    assert elapsed(start, end, calendar) == timedelta(hours=8 * working_days)


def test_naive_datetimes_are_taken_as_utc() -> None:
    start = datetime(2025, 3, 7, 16)
    assert elapsed(start, datetime(2025, 3, 10, 10), NINE_TO_FIVE) == timedelta(hours=2)
