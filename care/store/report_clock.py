"""How the report's SQL measures a wait against its response target: calendar seconds, or
the business seconds of the policy's calendar (`[business_hours]`), as the SLA rule
measures it (`care.domain.business_hours.elapsed`).

SQL cannot walk a calendar day by day, so the calendar comes in as a small table of UTC
days (`care.domain.business_hours.utc_days`: the business seconds counted before each
day, and the day's opening spans), joined to each moment by its UTC day number. The
business seconds between two moments are then the difference of their counts, in the
same statement and on both databases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    case,
    cast,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from care.domain.business_hours import SPANS_A_DAY, elapsed, utc_days
from care.domain.policy import BusinessHours
from care.store.report_sql import epoch

DAY_S = 86400


class _UtcDay(FunctionElement[int]):
    """A timestamp's UTC day number: Unix seconds // 86400."""

    type = BigInteger()
    inherit_cache = True


@compiles(_UtcDay, "postgresql")
def _utc_day_pg(element: _UtcDay, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / 86400) AS BIGINT)"


@compiles(_UtcDay, "sqlite")
def _utc_day_sqlite(element: _UtcDay, compiler: Any, **kw: Any) -> str:
    # Unix day from the Julian day; a moment at midnight read as the day before still
    # counts right: the day before's spans are all behind it.
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


class ReportClock:
    """Calendar time, or a business-hours calendar over [first, last] (the report's
    periods: every moment it judges lies within)."""

    def __init__(self, calendar: BusinessHours | None, first: datetime, last: datetime) -> None:
        self.calendar, self.first = calendar, first
        self._days: Any = None
        if calendar is not None:
            start, end = int(first.timestamp()) // DAY_S - 1, int(last.timestamp()) // DAY_S + 1
            rows = [
                select(
                    cast(literal(d.day, BigInteger()), BigInteger).label("day"),
                    _number(d.counted).label("counted"),
                    *_span_columns(d.spans),
                )
                for d in utc_days(calendar, start, end)
            ]
            self._days = union_all(*rows)
            self._origin = start * DAY_S

    @property
    def business(self) -> bool:
        return self.calendar is not None

    def join(self, name: str, moment: Any) -> tuple[Any, ColumnElement[bool]]:
        """The calendar day table as `name`, and how it joins `moment`'s day."""
        table = self._days.subquery(name)
        return table, table.c.day == _UtcDay(moment)

    def counted(self, table: Any, moment: Any) -> ColumnElement[float]:
        """Business seconds from the table's start to `moment` (joined by `join`)."""
        e = epoch(moment)
        total = table.c.counted
        for i in range(SPANS_A_DAY):
            opens, closes = table.c[f"opens{i}"], table.c[f"closes{i}"]
            part = case(
                (opens.is_(None), 0.0),
                (e <= opens, 0.0),
                (e >= closes, closes - opens),
                else_=e - opens,
            )
            total = total + part
        return total

    def counted_until(self, moment: datetime) -> float:
        """Business seconds from the table's start to a moment known here (the end)."""
        assert self.calendar is not None
        start = datetime.fromtimestamp(self._origin, moment.tzinfo)
        return elapsed(start, moment, self.calendar).total_seconds()


def _span_columns(spans: tuple[tuple[float, float], ...]) -> list[Any]:
    columns = []
    for i in range(SPANS_A_DAY):
        opens, closes = spans[i] if i < len(spans) else (None, None)
        columns.append(_number(opens).label(f"opens{i}"))
        columns.append(_number(closes).label(f"closes{i}"))
    return columns


def _number(value: float | None) -> ColumnElement[float]:
    # Typed even when NULL: PostgreSQL takes an untyped NULL in a UNION for text.
    return cast(literal(value, Float()), Float)
