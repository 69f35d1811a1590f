"""Portable SQL pieces for the report: seconds between two timestamps, a period code by
time, and percentiles by window functions (SQLite and PostgreSQL alike), or on
PostgreSQL from each group's values sorted into an array (`ranks_in_groups`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, case, func, literal, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by, array_agg
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from care.domain.periods import Period


class _Epoch(FunctionElement[float]):
    """Unix seconds of a timestamp column."""

    type = Float()
    inherit_cache = True


@compiles(_Epoch, "postgresql")
def _epoch_pg(element: _Epoch, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(_Epoch, "sqlite")
def _epoch_sqlite(element: _Epoch, compiler: Any, **kw: Any) -> str:
    # The store keeps naive UTC text on SQLite (care.store.schema.UTCDateTime).
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def epoch(moment: Any) -> ColumnElement[float]:
    """Unix seconds of a timestamp column (or expression)."""
    return _Epoch(moment)


def seconds_between(start: Any, end: Any) -> ColumnElement[float]:
    return _Epoch(end) - _Epoch(start)


def period_of(moment: Any, periods: Sequence[Period]) -> ColumnElement[int]:
    """The code of the period `moment` falls in, else NULL (periods must not overlap)."""
    if not periods:
        return literal(None, Integer())
    return case(
        *(((moment >= p.start) & (moment < p.end), p.code) for p in periods),
        else_=literal(None, Integer()),
    )


# The percentiles the report shows: q as a fraction num/den, so the ranks around it are
# found with integer arithmetic, the same on both databases.
QUANTILES = {"p50": (1, 2), "p90": (9, 10)}


def ranked_values(values: Any, keys: Sequence[str]) -> Any:
    """From a selectable with columns `keys` + `value` (NULL values left out by the caller),
    the rows at the ranks each percentile of `QUANTILES` interpolates between, per key:
    (keys…, rank, count, value), rank from 0."""
    partition = [values.c[k] for k in keys]
    ranked = select(
        *partition,
        values.c.value,
        (func.row_number().over(partition_by=partition, order_by=values.c.value) - 1).label("r"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery("ranked")
    n1 = ranked.c.n - 1
    wanted = []
    for num, den in QUANTILES.values():
        low = (n1 * num) // den  # floor((n - 1) q), in integers on both databases
        wanted += [ranked.c.r == low, ranked.c.r == low + 1]
    columns = (*(ranked.c[k] for k in keys), ranked.c.r, ranked.c.n, ranked.c.value)
    return select(*columns).where(or_(*wanted))


def ranks_in_groups(value: Any) -> list[ColumnElement[Any]]:
    """PostgreSQL, selected with a GROUP BY: the group's count, then for each percentile
    of `QUANTILES` its low rank and the values at that rank and the next (NULL past the
    last), from the group's values sorted once: the rows `ranked_values` finds, without a
    sort of every group's rows together (`ranks_of_group` turns them into those rows)."""
    n = func.count()
    ordered = array_agg(aggregate_order_by(value, value))
    columns: list[ColumnElement[Any]] = [n]
    for num, den in QUANTILES.values():
        low = (n - 1) * num // den
        columns += [low, ordered[low + 1], ordered[low + 2]]  # arrays count from 1
    return columns


def ranks_of_group(found: Sequence[Any]) -> list[tuple[int, int, Any]]:
    """(rank, count, value) rows, as `ranked_values` returns them, from the columns of
    `ranks_in_groups` for one group."""
    n, *picked = found
    rows = []
    for i in range(0, len(picked), 3):
        low, at_low, at_next = picked[i : i + 3]
        rows.append((low, n, at_low))
        if at_next is not None:
            rows.append((low + 1, n, at_next))
    return rows


def percentiles_from_ranks(
    rows: Sequence[tuple[int, int, float]],
) -> dict[str, float]:
    """Linear interpolation between the closest ranks (care.domain.metrics.percentile),
    from the (rank, count, value) rows `ranked_values` returned for one key."""
    by_rank = {r: v for r, _, v in rows}
    n = rows[0][1]
    found = {}
    for name, (num, den) in QUANTILES.items():
        low, rest = divmod((n - 1) * num, den)
        high = min(low + 1, n - 1)
        found[name] = by_rank[low] + (by_rank[high] - by_rank[low]) * rest / den
    return found
