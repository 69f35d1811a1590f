"""The periods a CARE report compares: the window, the window before it, and the weeks of
the trend, all ending at the report's end. Pure: the caller passes `end`.

Each period has a code the store groups by: `CURRENT` (the `days` up to `end`),
`PREVIOUS` (the `days` before that) and `WEEK + k` for the trend's week k, k = 0 the
oldest of `weeks` whole weeks ending at `end`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CURRENT, PREVIOUS, WEEK = 0, 1, 100
WEEK_SPAN = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Period:
    code: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class ReportPeriods:
    end: datetime
    days: int = 7
    weeks: int = 12  # of the trend; 0: no trend

    def __post_init__(self) -> None:
        if self.days < 1 or self.weeks < 0:
            raise ValueError("a report covers 1 day or more and 0 trend weeks or more")

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    @property
    def current(self) -> Period:
        return Period(CURRENT, self.start, self.end)

    @property
    def previous(self) -> Period:
        return Period(PREVIOUS, self.start - timedelta(days=self.days), self.start)

    @property
    def windows(self) -> tuple[Period, Period]:
        return (self.current, self.previous)

    @property
    def trend(self) -> tuple[Period, ...]:
        first = self.end - self.weeks * WEEK_SPAN
        return tuple(
            Period(WEEK + k, first + k * WEEK_SPAN, first + (k + 1) * WEEK_SPAN)
            for k in range(self.weeks)
        )

    @property
    def earliest(self) -> datetime:
        """Where the oldest period starts: what the store reads from."""
        return min([self.previous.start, *(p.start for p in self.trend)])
