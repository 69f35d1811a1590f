"""What the CARE report reads: per-group counts over a window, aggregated in SQL.

Four statements in one read transaction: ticket counts per (helpdesk, group) of
the tickets created in the window, the first-response times of those answered
(two timestamps a row; percentiles are not portable SQL, `care.domain.metrics`
computes them), wait counts per (helpdesk, group) of the waits started in the
window (`ticket_waits`, by its `started_at` index), and survey counts per
(helpdesk, group) of the surveys sent in the window. The metric definitions are in
`care.domain.metrics`.

Neither `ticket_snapshots.created_at` nor `survey_outbox.sent_at` leads an index,
so those statements scan their table once: fine for a daily report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.engine import Connection

from care.domain.metrics import (
    GroupActivity,
    SurveyCounts,
    Thresholds,
    TicketCounts,
    WaitCounts,
)
from care.domain.model import Status
from care.domain.waits import WaitKind
from care.store.schema import ActionLogEntry, SurveyAnswer, SurveyOutboxEntry, SurveyState
from care.store.snapshots import snapshots
from care.store.sql import table_of
from care.store.waits import waits

# The rule names as `care.domain.rules.resolve` records them (the store does not import rules).
TWO_INTERACTIONS = "resolve.two_interactions"
PASSED_AROUND = "resolve.passed_around"
SOLVED_STATUSES = (Status.SOLVED.value, Status.CLOSED.value)

action_log = table_of(ActionLogEntry)
outbox = table_of(SurveyOutboxEntry)
answers = table_of(SurveyAnswer)
Key = tuple[str, str | None]  # (helpdesk, group id)


@dataclass
class _Group:
    tickets: TicketCounts = field(default_factory=TicketCounts)
    surveys: SurveyCounts = field(default_factory=SurveyCounts)
    first_responses: list[float] = field(default_factory=list)
    waits: WaitCounts = field(default_factory=WaitCounts)


def activity(
    conn: Connection, start: datetime, end: datetime, thresholds: Thresholds
) -> list[GroupActivity]:
    """One item per (helpdesk, group) with a ticket created, a wait started or a survey
    sent in [start, end), sorted by helpdesk and group id."""
    groups: dict[Key, _Group] = {}
    for key, counts in ticket_counts(conn, start, end, thresholds):
        groups.setdefault(key, _Group()).tickets = counts
    for key, seconds in first_responses(conn, start, end):
        groups.setdefault(key, _Group()).first_responses.append(seconds)
    for key, counts in wait_counts(conn, start, end):
        groups.setdefault(key, _Group()).waits = counts
    for key, surveys in survey_counts(conn, start, end):
        groups.setdefault(key, _Group()).surveys = surveys
    return [
        GroupActivity(helpdesk, group_id, g.tickets, g.surveys, tuple(g.first_responses), g.waits)
        for (helpdesk, group_id), g in sorted(groups.items(), key=lambda i: _sort_key(i[0]))
    ]


def ticket_counts(
    conn: Connection, start: datetime, end: datetime, thresholds: Thresholds
) -> Iterable[tuple[Key, TicketCounts]]:
    s = snapshots.c
    solved = s.status.in_(SOLVED_STATUSES)
    hops_over = or_(
        s.group_hops >= thresholds.group_hops, s.assignee_hops >= thresholds.assignee_hops
    )
    query = (
        select(
            s.helpdesk,
            s.group_id,
            func.count(),
            _count(_has_action(TWO_INTERACTIONS)),
            _count(solved),
            _count(and_(solved, s.agent_replies <= thresholds.interactions)),
            _count(s.reopens > 0),
            _count(or_(_has_action(PASSED_AROUND), hops_over)),
            func.coalesce(func.sum(s.group_hops + s.assignee_hops), 0),
        )
        .where(_created_in(start, end))
        .group_by(s.helpdesk, s.group_id)
    )
    for helpdesk, group_id, *counts in conn.execute(query):
        yield (helpdesk, group_id), TicketCounts(*(int(n) for n in counts))


def first_responses(
    conn: Connection, start: datetime, end: datetime
) -> Iterable[tuple[Key, float]]:
    """(key, seconds to the first agent reply) for each answered ticket of the window."""
    s = snapshots.c
    query = select(s.helpdesk, s.group_id, s.created_at, s.first_agent_reply_at).where(
        _created_in(start, end), s.first_agent_reply_at.is_not(None)
    )
    for helpdesk, group_id, created_at, replied_at in conn.execute(
        query.execution_options(yield_per=5000)
    ):
        # A clock skew between the helpdesk's fields is not a negative wait.
        yield (helpdesk, group_id), max((replied_at - created_at).total_seconds(), 0.0)


def wait_counts(
    conn: Connection, start: datetime, end: datetime
) -> Iterable[tuple[Key, WaitCounts]]:
    """Waits started in [start, end) and those breached, first and next replies apart, in
    the group their ticket was in when the wait was first seen."""
    w = waits.c
    first, breached = w.kind == WaitKind.FIRST_REPLY.value, w.breached_at.is_not(None)
    query = (
        select(
            w.helpdesk,
            w.group_id,
            _count(first),
            _count(and_(first, breached)),
            _count(~first),
            _count(and_(~first, breached)),
        )
        .where(w.started_at >= start, w.started_at < end)
        .group_by(w.helpdesk, w.group_id)
    )
    for helpdesk, group_id, *counts in conn.execute(query):
        yield (helpdesk, group_id), WaitCounts(*(int(n) for n in counts))


def survey_counts(
    conn: Connection, start: datetime, end: datetime
) -> Iterable[tuple[Key, SurveyCounts]]:
    o, s, a = outbox.c, snapshots.c, answers.c
    query = (
        select(
            o.helpdesk,
            s.group_id,
            func.count(),
            func.count(a.ticket_id),
            _count(a.answer == "solved"),
        )
        .select_from(
            outbox.outerjoin(
                snapshots, and_(s.helpdesk == o.helpdesk, s.ticket_id == o.ticket_id)
            ).outerjoin(answers, and_(a.helpdesk == o.helpdesk, a.ticket_id == o.ticket_id))
        )
        .where(o.state == SurveyState.SENT.value, o.sent_at >= start, o.sent_at < end)
        .group_by(o.helpdesk, s.group_id)
    )
    for helpdesk, group_id, *counts in conn.execute(query):
        yield (helpdesk, group_id), SurveyCounts(*(int(n) for n in counts))


def _created_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(snapshots.c.created_at >= start, snapshots.c.created_at < end)


def _has_action(rule: str) -> ColumnElement[bool]:
    """The snapshot's ticket has an action of this rule in the log."""
    a, s = action_log.c, snapshots.c
    return exists().where(a.helpdesk == s.helpdesk, a.ticket_id == s.ticket_id, a.rule == rule)


def _count(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sort_key(key: Key) -> tuple[str, bool, str]:
    helpdesk, group_id = key
    return (helpdesk, group_id is None, group_id or "")
