"""First-response percentiles per scope and period, in SQL: each answered ticket read
once; the values at the ranks each percentile interpolates between found by GROUPING
SETS on PostgreSQL and by window functions elsewhere (`care.store.report_sql`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Connection

from care.domain.metrics import (
    Quantiles,
    Thresholds,
)
from care.domain.periods import ReportPeriods
from care.domain.scopes import Level, ScopeKey
from care.store.report_facts import (
    answer_seconds,
    created_in,
    ticket_scope,
)
from care.store.report_sql import (
    percentiles_from_ranks,
    ranked_values,
    ranks_in_groups,
    ranks_of_group,
)
from care.store.snapshots import snapshots


def first_response_quantiles(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> dict[ScopeKey, Quantiles]:
    """First-response p50 and p90 per scope: the values at the ranks each percentile
    interpolates between, found in SQL (`_ranks_grouped` on PostgreSQL, `_ranks_windowed`
    elsewhere; the same ranks), interpolated here."""
    s = snapshots.c
    window, week, helpdesk, grp, agent = ticket_scope(periods)
    answered = (
        select(window, week, helpdesk, grp, agent, cast(answer_seconds(), Float).label("value"))
        .where(*created_in(periods), s.first_agent_reply_at.is_not(None))
        .subquery("answered")
    )
    grouped = conn.dialect.name == "postgresql"
    ranks: dict[ScopeKey, list[tuple[int, int, float]]] = defaultdict(list)
    for period, level, h, g, a, rank, n, value in (
        _ranks_grouped(conn, answered) if grouped else _ranks_windowed(conn, answered)
    ):
        key = ScopeKey(int(period), Level(int(level)), h, g, a)
        # julianday() keeps microseconds only roughly: whole milliseconds are what is meant.
        ranks[key].append((int(rank), int(n), round(float(value), 3)))
    found = {}
    for key, rows in ranks.items():
        p = percentiles_from_ranks(rows)
        found[key] = Quantiles(rows[0][1], p["p50"], p["p90"])
    return found


def _ranks_grouped(conn: Connection, answered: Any) -> Iterable[tuple]:
    """PostgreSQL: each scope's values sorted once in its group (GROUPING SETS over the
    window's scopes, then the weeks), the wanted ranks picked from the sorted array: no
    row repeated per scope, no sort of them all (`care.store.report_sql.ranks_in_groups`)."""
    f = answered.c
    none = literal(None, String())
    level = case(
        (func.grouping(f.helpdesk) == 1, Level.ALL.value),
        (func.grouping(f.grp) == 0, Level.GROUP.value),
        (func.grouping(f.agent) == 0, Level.AGENT.value),
        else_=Level.HELPDESK.value,
    )
    scopes = func.grouping_sets(
        tuple_(f.window),
        tuple_(f.window, f.helpdesk),
        tuple_(f.window, f.helpdesk, f.grp),
        tuple_(f.window, f.helpdesk, f.agent),
    )
    in_window = (
        select(f.window, level, f.helpdesk, f.grp, f.agent, *ranks_in_groups(f.value))
        .where(f.window.is_not(None))
        .group_by(scopes)
        .having(or_(func.grouping(f.agent) == 1, f.agent.is_not(None)))
    )
    weeks = (
        select(f.week, literal(Level.ALL.value), none, none, none, *ranks_in_groups(f.value))
        .where(f.week.is_not(None))
        .group_by(f.week)
    )
    for period, level, h, g, a, *found in conn.execute(union_all(in_window, weeks)):
        for rank, n, value in ranks_of_group(found):
            yield period, level, h, g, a, rank, n, value


def _ranks_windowed(conn: Connection, answered: Any) -> Iterable[tuple]:
    """Elsewhere (SQLite): each answered ticket once for each scope it counts in (one
    scan, joined to the part numbers), ranked per scope by window functions."""
    f = answered.c
    none = literal(None, String())
    # The scopes a first response counts in, one part each: (period, level, helpdesk,
    # group, agent) and when it counts there.
    parts = [
        (f.window, Level.ALL, none, none, none, f.window.is_not(None)),
        (f.window, Level.HELPDESK, f.helpdesk, none, none, f.window.is_not(None)),
        (f.window, Level.GROUP, f.helpdesk, f.grp, none, f.window.is_not(None)),
        (f.window, Level.AGENT, f.helpdesk, none, f.agent,
         and_(f.window.is_not(None), f.agent.is_not(None))),
        (f.week, Level.ALL, none, none, none, f.week.is_not(None)),
    ]  # fmt: skip
    numbers = union_all(*(select(literal(i).label("part")) for i in range(len(parts))))
    numbered = numbers.subquery("parts")
    part = numbered.c.part

    def by_part(column: int) -> ColumnElement[Any]:
        return case(*((part == i, p[column]) for i, p in enumerate(parts)))

    values = (
        select(
            by_part(0).label("period"),
            case(*((part == i, literal(p[1].value)) for i, p in enumerate(parts))).label("level"),
            by_part(2).label("h"),
            by_part(3).label("g"),
            by_part(4).label("a"),
            f.value,
        )
        .select_from(answered.join(numbered, true()))
        .where(or_(*(and_(part == i, p[5]) for i, p in enumerate(parts))))
        .subquery("values")
    )
    return conn.execute(ranked_values(values, ("period", "level", "h", "g", "a")))
