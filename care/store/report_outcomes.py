"""The outcomes of the window's solved tickets, in SQL: by what happened on them (SLA
breached, escalated, passed around, solved within the interactions), their survey
answers and whether the requester came back; and the same tickets as support contacts
for an optional retention history."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from care.domain.metrics import (
    Thresholds,
)
from care.domain.periods import ReportPeriods
from care.domain.scopes import Happened, OutcomeCounts
from care.store.report_facts import (
    SOLVED_STATUSES,
    answers,
    flag,
    ticket_facts,
    total,
    without_jit,
)
from care.store.report_sql import (
    seconds_between,
)
from care.store.snapshots import snapshots


def outcome_counts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> dict[Happened, OutcomeCounts]:
    """Solved tickets created in the window, by what happened on them."""
    without_jit(conn)
    facts = _solved_in_window(periods, thresholds).subquery("facts")
    f, a = facts.c, answers.c
    breached = or_(f.first_breached == 1, f.next_breached == 1)
    flags = (flag(breached), f.escalated, f.passed_around, f.solved_within)
    query = (
        select(
            *flags,
            func.count(),
            func.count(a.ticket_id),
            total(flag(a.answer == "solved")),
            total(flag(_came_back(f, thresholds))),
        )
        .select_from(
            facts.outerjoin(answers, and_(a.helpdesk == f.helpdesk, a.ticket_id == f.ticket_id))
        )
        .group_by(*flags)
    )
    return {
        Happened(*(bool(x) for x in row[:4])): OutcomeCounts(*(int(n) for n in row[4:]))
        for row in conn.execute(query)
    }


def solved_contacts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> Iterable[tuple[str | None, Any, Happened]]:
    """(requester e-mail, solved at, what happened) of each solved ticket created in the
    window: the support contacts an optional retention history is matched against."""
    without_jit(conn)
    facts = _solved_in_window(periods, thresholds).subquery("facts")
    f = facts.c
    breached = or_(f.first_breached == 1, f.next_breached == 1)
    query = select(
        f.requester_email,
        func.coalesce(f.solved_at, f.created_at),
        flag(breached),
        f.escalated,
        f.passed_around,
        f.solved_within,
    )
    for email, solved_at, *flags in conn.execute(query.execution_options(yield_per=5000)):
        yield email, solved_at, Happened(*(bool(x) for x in flags))


def _solved_in_window(periods: ReportPeriods, thresholds: Thresholds) -> Any:
    """The window's solved tickets, said on the columns themselves (not as `window == 0`
    and `solved == 1` of the facts), so the planner sees how few they are."""
    s, window = snapshots.c, periods.current
    return ticket_facts(
        periods,
        thresholds,
        s.created_at >= window.start,
        s.created_at < window.end,
        s.status.in_(SOLVED_STATUSES),
    )


def _came_back(f: Any, thresholds: Thresholds) -> ColumnElement[bool]:
    lc = snapshots.alias("later").c
    return exists().where(
        lc.helpdesk == f.helpdesk,
        lc.requester_id == f.requester_id,
        lc.created_at > f.solved_at,
        seconds_between(f.solved_at, lc.created_at) <= thresholds.came_back_days * 86400,
    )
