"""How long an SLA clock ran: wall-clock time, or only working hours of a calendar.

`elapsed(start, end, calendar)` walks the calendar day by day (never minute by
minute) in the calendar's own time zone, so opening hours follow daylight-saving
changes and holidays are skipped. Each day's opening window is computed once and
cached, so a span of months costs one dictionary look-up per day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from care.domain.policy import BusinessHours

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)

Window = tuple[datetime, datetime] | None


def elapsed(start: datetime, end: datetime, calendar: BusinessHours | None) -> timedelta:
    """Time between `start` and `end` that counts for an SLA.

    Without a calendar this is plain wall-clock time. With one, only the time
    inside the opening hours of working days (holidays excluded) counts.
    Naive datetimes are taken as UTC; `end` before `start` gives zero.
    """
    start, end = _as_utc(start), _as_utc(end)
    if end <= start:
        return _ZERO
    if calendar is None:
        return end - start
    compiled = _compile(calendar)
    day = start.astimezone(compiled.zone).date()
    last = end.astimezone(compiled.zone).date()
    total = _ZERO
    while day <= last:
        window = compiled.window(day)
        if window is not None:
            opens, closes = max(window[0], start), min(window[1], end)
            if closes > opens:
                total += closes - opens
        day += _ONE_DAY
    return total


@dataclass(slots=True)
class _Compiled:
    """A calendar in the shape `elapsed` needs, with a per-day window cache."""

    calendar: BusinessHours
    zone: ZoneInfo
    workdays: frozenset[int]
    holidays: frozenset[date]
    windows: dict[date, Window] = field(default_factory=dict)

    def window(self, day: date) -> Window:
        """The opening hours of `day` in UTC, or None on a closed day."""
        try:
            return self.windows[day]
        except KeyError:
            pass
        window: Window = None
        if day.weekday() in self.workdays and day not in self.holidays:
            # Combining with the zone and converting to UTC makes the window
            # shorter/longer on the days the clocks change, as it should be.
            opens = datetime.combine(day, self.calendar.start, self.zone).astimezone(UTC)
            closes = datetime.combine(day, self.calendar.end, self.zone).astimezone(UTC)
            window = (opens, closes)
        if len(self.windows) > 20_000:  # decades of days; keep memory bounded anyway
            self.windows.clear()
        self.windows[day] = window
        return window


@lru_cache(maxsize=32)
def _compile(calendar: BusinessHours) -> _Compiled:
    return _Compiled(
        calendar=calendar,
        zone=calendar.zone,
        workdays=frozenset(_WEEKDAYS.index(name) for name in calendar.days),
        holidays=frozenset(calendar.holidays),
    )


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class UtcDay:
    """One UTC day of a calendar, for SQL that cannot walk a calendar: `counted` business
    seconds before the day began (from the table's first day), and the day's opening hours
    as Unix-second spans, clipped to the day (at most `SPANS_A_DAY`)."""

    day: int  # Unix seconds // 86400
    counted: float
    spans: tuple[tuple[float, float], ...]


SPANS_A_DAY = 3  # a UTC day meets at most the end of one opening, one and a start


def utc_days(calendar: BusinessHours, first_day: int, last_day: int) -> list[UtcDay]:
    """The UTC days `first_day`..`last_day` (Unix seconds // 86400) of `calendar`: the
    business seconds between two moments are then `counted` + the spans' seconds up to
    each moment, subtracted."""
    compiled = _compile(calendar)
    start = datetime.fromtimestamp(first_day * 86400, UTC)
    end = datetime.fromtimestamp((last_day + 1) * 86400, UTC)
    local = start.astimezone(compiled.zone).date() - _ONE_DAY
    spans: list[tuple[float, float]] = []
    while local <= end.astimezone(compiled.zone).date() + _ONE_DAY:
        window = compiled.window(local)
        if window is not None:
            spans.append((window[0].timestamp(), window[1].timestamp()))
        local += _ONE_DAY
    days, counted = [], 0.0
    for day in range(first_day, last_day + 1):
        low, high = day * 86400.0, (day + 1) * 86400.0
        clipped = tuple((max(a, low), min(b, high)) for a, b in spans if a < high and b > low)
        days.append(UtcDay(day, counted, clipped[:SPANS_A_DAY]))
        counted += sum(b - a for a, b in clipped)
    return days
