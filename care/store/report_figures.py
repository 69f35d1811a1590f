"""What the CARE report reads: counts per scope and period, aggregated in SQL.

A handful of statements in one read transaction, whatever the number of tickets:
tickets (their facts: `care.store.report_facts`), next-reply waits and surveys counted
per (period, helpdesk, group, agent) — the few hundred rows that returns are summed
here into the scopes — and the first-response percentiles per scope
(`care.store.report_quantiles`). The outcomes of the window's solved tickets are
`care.store.report_outcomes`. What each figure counts is written once, in
`care.domain.figures`; how fast, in docs/performance.md ("The report over 1,000,000
tickets").

Attribution: a ticket, its first response and its survey count in the group that first
answered it (`first_reply_group_id`; unanswered, its group now), a next-reply wait in
the group that ended it (`end_group_id`; still running, the group it started in), and
both with the ticket's assignee as last seen (for a solved ticket: who solved it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    and_,
    func,
    select,
)
from sqlalchemy.engine import Connection

from care.domain.metrics import (
    Quantiles,
    ScopeCounts,
    SurveyCounts,
    Thresholds,
    TicketCounts,
    WaitCounts,
)
from care.domain.periods import ReportPeriods
from care.domain.scopes import Level, ScopeKey
from care.domain.waits import WaitKind
from care.store.report_facts import (
    Fine,
    answers,
    fine_keys,
    flag,
    next_breached_condition,
    outbox,
    ticket_facts,
    total,
    without_jit,
)
from care.store.report_quantiles import first_response_quantiles
from care.store.schema import SurveyState
from care.store.snapshots import snapshots
from care.store.waits import waits


def scope_counts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> dict[ScopeKey, ScopeCounts]:
    """Every scope with a ticket created, a wait started or a survey sent in a period."""
    without_jit(conn)
    tickets, waits_, surveys = _fine_counts(conn, periods, thresholds)
    found: dict[ScopeKey, dict[str, Any]] = defaultdict(dict)
    for part, rows in (("tickets", tickets), ("waits", waits_), ("surveys", surveys)):
        for fine, counts in rows.items():
            for key in _scopes(fine):
                scope = found[key]
                scope[part] = scope[part] + counts if part in scope else counts
    quantiles = first_response_quantiles(conn, periods, thresholds)
    return {
        key: ScopeCounts(
            tickets=parts.get("tickets", TicketCounts()),
            waits=parts.get("waits", WaitCounts()),
            surveys=parts.get("surveys", SurveyCounts()),
            first_response=quantiles.get(key, Quantiles()),
        )
        for key, parts in found.items()
    }


def _fine_counts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> tuple[dict[Fine, Any], dict[Fine, Any], dict[Fine, Any]]:
    facts = ticket_facts(periods, thresholds).subquery("facts")
    f = facts.c
    keys = (f.window, f.week, f.helpdesk, f.grp, f.agent)
    query = select(
        *keys,
        func.count(),
        total(f.escalated),
        total(f.solved),
        total(f.solved_within),
        total(f.reopened),
        total(f.passed_around),
        func.coalesce(func.sum(f.hops), 0),
        total(f.first_breached),
    ).group_by(*keys)
    tickets: dict[Fine, Any] = {}
    first_waits: dict[Fine, WaitCounts] = {}
    for *fine, n, esc, solved, within, reopened, passed, hops, breached in conn.execute(query):
        key = tuple(fine)
        counts = (esc, solved, within, reopened, passed, hops)
        tickets[key] = TicketCounts(int(n), *(int(c) for c in counts))
        first_waits[key] = WaitCounts(first_reply=int(n), first_reply_breached=int(breached))
    next_waits = _next_reply_counts(conn, periods, thresholds)
    all_waits = dict(first_waits)
    for key, counts in next_waits.items():
        all_waits[key] = all_waits[key] + counts if key in all_waits else counts
    return tickets, all_waits, _survey_counts(conn, periods)


def _next_reply_counts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> dict[Fine, WaitCounts]:
    w, s = waits.c, snapshots.c
    joins, breached = next_breached_condition(periods, thresholds)
    keys = fine_keys(w.started_at, periods, w.helpdesk, func.coalesce(w.end_group_id, w.group_id))
    rows = waits.outerjoin(snapshots, and_(s.helpdesk == w.helpdesk, s.ticket_id == w.ticket_id))
    for table, on in joins:
        rows = rows.outerjoin(table, on)
    query = (
        select(*keys, func.count(), total(flag(breached)))
        .select_from(rows)
        .where(
            w.kind == WaitKind.NEXT_REPLY.value,
            w.started_at >= periods.earliest,
            w.started_at < periods.end,
        )
        .group_by(*keys)
    )
    return {
        tuple(fine): WaitCounts(next_reply=int(n), next_reply_breached=int(b))  # type: ignore[misc]
        for *fine, n, b in conn.execute(query)
    }


def _survey_counts(conn: Connection, periods: ReportPeriods) -> dict[Fine, SurveyCounts]:
    o, s, a = outbox.c, snapshots.c, answers.c
    keys = fine_keys(
        o.sent_at, periods, o.helpdesk, func.coalesce(s.first_reply_group_id, s.group_id)
    )
    query = (
        select(*keys, func.count(), func.count(a.ticket_id), total(flag(a.answer == "solved")))
        .select_from(
            outbox.outerjoin(
                snapshots, and_(s.helpdesk == o.helpdesk, s.ticket_id == o.ticket_id)
            ).outerjoin(answers, and_(a.helpdesk == o.helpdesk, a.ticket_id == o.ticket_id))
        )
        .where(
            o.state == SurveyState.SENT.value,
            o.sent_at >= periods.earliest,
            o.sent_at < periods.end,
        )
        .group_by(*keys)
    )
    return {
        tuple(fine): SurveyCounts(int(n), int(answered), int(yes))  # type: ignore[misc]
        for *fine, n, answered, yes in conn.execute(query)
    }


def _scopes(fine: Fine) -> Iterable[ScopeKey]:
    window, week, helpdesk, group, agent = fine
    if window is not None:
        yield ScopeKey(window, Level.ALL)
        yield ScopeKey(window, Level.HELPDESK, helpdesk)
        yield ScopeKey(window, Level.GROUP, helpdesk, group)
        if agent is not None:
            yield ScopeKey(window, Level.AGENT, helpdesk, agent=agent)
    if week is not None:
        yield ScopeKey(week, Level.ALL)
