"""The report's per-ticket facts, in SQL: for each ticket created in the report's periods,
its periods, its scope (helpdesk, the group that first answered it, its assignee) and
what happened on it (escalated, solved within the interactions, reopened, passed around,
first and next replies breached), as one statement the counting modules read from
(`care.store.report_figures`, `report_quantiles`, `report_outcomes`).

At scale (docs/performance.md, "The report over 1,000,000 tickets"): what a ticket's
flags need from the action log and the waits is joined once per ticket from one row per
ticket (`action_flags`, `first_reply_marks`), not looked up ticket by ticket.

Breaches are judged from the history against the policy's targets, not only from what
polls tagged: a first-reply wait is breached when the first agent reply came after the
target of the ticket's priority, or none came and the ticket is still new or open past
it at the report's end; a next-reply wait when it lasted past the target (still
running: up to the end), or a poll found it breached. With a `[business_hours]`
calendar, waits are measured in its opening hours, as the SLA rule measures them
(`care.store.report_clock`); first-response times stay in calendar hours, as the
customer waited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Connection

from care.domain.metrics import (
    Thresholds,
)
from care.domain.model import Status
from care.domain.periods import ReportPeriods
from care.domain.waits import WaitKind
from care.store.report_clock import ReportClock
from care.store.report_sql import (
    period_of,
    seconds_between,
)
from care.store.schema import ActionLogEntry, SurveyAnswer, SurveyOutboxEntry
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

WAITING = (Status.NEW.value, Status.OPEN.value)
Fine = tuple[int | None, int | None, str, str | None, str | None]  # window, week, hd, grp, agent


def without_jit(conn: Connection) -> None:
    """PostgreSQL (11 and later) compiles a statement it estimates as costly with LLVM
    before running it. These statements look costly (it cannot tell how few groups the
    periods make) and compiling took longer than running: 0.65 s of the 1.4 s of the
    outcomes of 1,000,000 tickets, about 1 s of the report (docs/performance.md). Off for
    this read transaction only (SET LOCAL: back as it was at its end)."""
    if conn.dialect.name == "postgresql" and (conn.dialect.server_version_info or (0,)) >= (11,):
        conn.exec_driver_sql("SET LOCAL jit = off")


def ticket_facts(periods: ReportPeriods, thresholds: Thresholds, *only: ColumnElement[bool]) -> Any:
    """One row per ticket created in a period (and meeting `only`, conditions on the
    snapshot): its periods, scope and what happened."""
    s = snapshots.c
    acts, marks = action_flags(), first_reply_marks()
    target = target_of(s.priority, thresholds)
    answered_after = answer_seconds()
    solved = s.status.in_(SOLVED_STATUSES)
    hops_over = or_(
        s.group_hops >= thresholds.group_hops, s.assignee_hops >= thresholds.assignee_hops
    )
    clock = ReportClock(thresholds.calendar, periods.earliest, periods.end)
    joins, waited, waiting_now = first_wait(clock, periods)
    still_waiting = and_(
        s.first_agent_reply_at.is_(None), s.status.in_(WAITING), waiting_now > target
    )
    first_breached = or_(waited > target, still_waiting, marks.c.ticket_id.is_not(None))
    tickets = snapshots.outerjoin(acts, same_ticket(acts.c)).outerjoin(marks, same_ticket(marks.c))
    for table, on in joins:
        tickets = tickets.outerjoin(table, on)
    return (
        select(
            *ticket_scope(periods),
            s.requester_id,
            s.requester_email,
            s.ticket_id,
            s.created_at,
            s.solved_at,
            answered_after.label("answered_after"),
            flag(acts.c.escalated == 1).label("escalated"),
            flag(solved).label("solved"),
            flag(and_(solved, s.agent_replies <= thresholds.interactions)).label("solved_within"),
            flag(s.reopens > 0).label("reopened"),
            flag(or_(acts.c.passed_around == 1, hops_over)).label("passed_around"),
            (s.group_hops + s.assignee_hops).label("hops"),
            flag(first_breached).label("first_breached"),
            flag(next_wait_breached(periods, thresholds)).label("next_breached"),
        )
        .select_from(tickets)
        .where(*created_in(periods), *only)
    )


def first_wait(clock: ReportClock, periods: ReportPeriods) -> tuple[list, Any, Any]:
    """The joins a first-reply wait needs, how long it lasted (NULL: no reply yet) and how
    long it has lasted by the end, as the SLA counts: calendar or business seconds."""
    s = snapshots.c
    if not clock.business:
        waiting_now = seconds_between(s.created_at, literal(periods.end, s.created_at.type))
        return [], answer_seconds(), waiting_now
    created, on_created = clock.join("cal_created", s.created_at)
    replied, on_replied = clock.join("cal_replied", s.first_agent_reply_at)
    counted_at_creation = clock.counted(created, s.created_at)
    waited = clock.counted(replied, s.first_agent_reply_at) - counted_at_creation
    waiting_now = clock.counted_until(periods.end) - counted_at_creation
    return [(created, on_created), (replied, on_replied)], waited, waiting_now


def ticket_scope(periods: ReportPeriods) -> tuple[ColumnElement[Any], ...]:
    """A ticket's periods (by its creation) and scope: `Fine`'s columns."""
    s = snapshots.c
    return (
        period_of(s.created_at, periods.windows).label("window"),
        period_of(s.created_at, periods.trend).label("week"),
        s.helpdesk,
        func.coalesce(s.first_reply_group_id, s.group_id).label("grp"),
        s.assignee_id.label("agent"),
    )


def created_in(periods: ReportPeriods) -> tuple[ColumnElement[bool], ...]:
    s = snapshots.c
    return (s.created_at >= periods.earliest, s.created_at < periods.end)


def answer_seconds() -> ColumnElement[float]:
    """Seconds from the ticket's creation to its first agent reply; NULL: none yet."""
    s = snapshots.c
    return case(
        (s.first_agent_reply_at.is_(None), None),
        else_=not_negative(seconds_between(s.created_at, s.first_agent_reply_at)),
    )


def target_of(priority: Any, thresholds: Thresholds) -> ColumnElement[float]:
    """The response target (seconds) of a ticket's priority."""
    if not thresholds.targets_by_priority:
        return literal(thresholds.target_s)
    return case(
        *((priority == name, seconds) for name, seconds in thresholds.targets_by_priority),
        else_=literal(thresholds.target_s),
    )


def next_breached_condition(periods: ReportPeriods, thresholds: Thresholds) -> tuple[list, Any]:
    """The joins it needs, and whether a next-reply wait (`waits` joined to its ticket's
    snapshot) was breached: marked by a poll, or lasted past the target (still running:
    up to the end), in calendar or business seconds."""
    w, s = waits.c, snapshots.c
    until = func.coalesce(w.ended_at, literal(periods.end, w.started_at.type))
    clock = ReportClock(thresholds.calendar, periods.earliest, periods.end)
    joins: list = []
    if clock.business:
        started, on_started = clock.join("cal_started", w.started_at)
        ended, on_ended = clock.join("cal_ended", until)
        lasted = clock.counted(ended, until) - clock.counted(started, w.started_at)
        joins = [(started, on_started), (ended, on_ended)]
    else:
        lasted = seconds_between(w.started_at, until)
    return joins, or_(w.breached_at.is_not(None), lasted > target_of(s.priority, thresholds))


def next_wait_breached(periods: ReportPeriods, thresholds: Thresholds) -> Any:
    """The ticket (of the outer query) had a next-reply wait breached."""
    w, s = waits.c, snapshots.c
    joins, breached = next_breached_condition(periods, thresholds)
    rows = waits
    for table, on in joins:
        rows = rows.join(table, on)
    return (
        select(literal(1))
        .select_from(rows)
        .where(
            w.helpdesk == s.helpdesk,
            w.ticket_id == s.ticket_id,
            w.kind == WaitKind.NEXT_REPLY.value,
            breached,
        )
        .exists()
    )


def fine_keys(moment: Any, periods: ReportPeriods, helpdesk: Any, group: Any) -> tuple[Any, ...]:
    """The finest keys counts are grouped by: (window, week, helpdesk, group, agent)."""
    return (
        period_of(moment, periods.windows).label("window"),
        period_of(moment, periods.trend).label("week"),
        helpdesk,
        group.label("grp"),
        snapshots.c.assignee_id.label("agent"),
    )


def first_reply_marks() -> Any:
    """The tickets a poll found a first-reply wait of breached: one row each."""
    w = waits.c
    return (
        select(w.helpdesk, w.ticket_id)
        .where(w.kind == WaitKind.FIRST_REPLY.value, w.breached_at.is_not(None))
        .group_by(w.helpdesk, w.ticket_id)
        .subquery("marks")
    )


def action_flags() -> Any:
    """The tickets resolve.two_interactions or resolve.passed_around acted on: one row
    each, with 1 in `escalated` / `passed_around` for the rules that did."""
    a = action_log.c
    return (
        select(
            a.helpdesk,
            a.ticket_id,
            func.max(flag(a.rule == TWO_INTERACTIONS)).label("escalated"),
            func.max(flag(a.rule == PASSED_AROUND)).label("passed_around"),
        )
        .where(a.rule.in_((TWO_INTERACTIONS, PASSED_AROUND)))
        .group_by(a.helpdesk, a.ticket_id)
        .subquery("acts")
    )


def same_ticket(c: Any) -> ColumnElement[bool]:
    s = snapshots.c
    return and_(c.helpdesk == s.helpdesk, c.ticket_id == s.ticket_id)


def not_negative(seconds: ColumnElement[float]) -> ColumnElement[float]:
    # A clock skew between the helpdesk's fields is not a negative wait.
    return case((seconds < 0, 0.0), else_=seconds)


def flag(condition: Any) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def total(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)
