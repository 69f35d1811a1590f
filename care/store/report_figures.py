"""What the CARE report reads: counts per scope and period, aggregated in SQL.

A handful of statements in one read transaction, whatever the number of tickets:
tickets, next-reply waits and surveys counted per (period, helpdesk, group, agent) — the
few hundred rows that returns are summed here into the scopes — first-response
percentiles per scope (the values at the ranks each interpolates between: by GROUPING
SETS on PostgreSQL, by window functions elsewhere, `care.store.report_sql`), and the
outcome counts of the window's solved tickets by what happened on them. What each
figure counts is written once, in `care.domain.figures`.

At scale (docs/performance.md, "The report over 1,000,000 tickets"): what a ticket's
flags need from the action log and the waits is joined once per ticket from one row per
ticket (`_action_flags`, `_first_reply_marks`), not looked up ticket by ticket; each
answered ticket is read once for its percentiles, not once per scope.

Attribution: a ticket, its first response and its survey count in the group that first
answered it (`first_reply_group_id`; unanswered, its group now), a next-reply wait in
the group that ended it (`end_group_id`; still running, the group it started in), and
both with the ticket's assignee as last seen (for a solved ticket: who solved it).

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
    exists,
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
    ScopeCounts,
    SurveyCounts,
    Thresholds,
    TicketCounts,
    WaitCounts,
)
from care.domain.model import Status
from care.domain.periods import ReportPeriods
from care.domain.scopes import Happened, Level, OutcomeCounts, ScopeKey
from care.domain.waits import WaitKind
from care.store.report_clock import ReportClock
from care.store.report_sql import (
    percentiles_from_ranks,
    period_of,
    ranked_values,
    ranks_in_groups,
    ranks_of_group,
    seconds_between,
)
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

WAITING = (Status.NEW.value, Status.OPEN.value)
Fine = tuple[int | None, int | None, str, str | None, str | None]  # window, week, hd, grp, agent


def scope_counts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> dict[ScopeKey, ScopeCounts]:
    """Every scope with a ticket created, a wait started or a survey sent in a period."""
    _without_jit(conn)
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


def _without_jit(conn: Connection) -> None:
    """PostgreSQL (11 and later) compiles a statement it estimates as costly with LLVM
    before running it. These statements look costly (it cannot tell how few groups the
    periods make) and compiling took longer than running: 0.65 s of the 1.4 s of the
    outcomes of 1,000,000 tickets, about 1 s of the report (docs/performance.md). Off for
    this read transaction only (SET LOCAL: back as it was at its end)."""
    if conn.dialect.name == "postgresql" and (conn.dialect.server_version_info or (0,)) >= (11,):
        conn.exec_driver_sql("SET LOCAL jit = off")


def _fine_counts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> tuple[dict[Fine, Any], dict[Fine, Any], dict[Fine, Any]]:
    facts = ticket_facts(periods, thresholds).subquery("facts")
    f = facts.c
    keys = (f.window, f.week, f.helpdesk, f.grp, f.agent)
    query = select(
        *keys,
        func.count(),
        _sum(f.escalated),
        _sum(f.solved),
        _sum(f.solved_within),
        _sum(f.reopened),
        _sum(f.passed_around),
        func.coalesce(func.sum(f.hops), 0),
        _sum(f.first_breached),
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


def ticket_facts(periods: ReportPeriods, thresholds: Thresholds, *only: ColumnElement[bool]) -> Any:
    """One row per ticket created in a period (and meeting `only`, conditions on the
    snapshot): its periods, scope and what happened."""
    s = snapshots.c
    acts, marks = _action_flags(), _first_reply_marks()
    target = target_of(s.priority, thresholds)
    answered_after = _answered_after()
    solved = s.status.in_(SOLVED_STATUSES)
    hops_over = or_(
        s.group_hops >= thresholds.group_hops, s.assignee_hops >= thresholds.assignee_hops
    )
    clock = ReportClock(thresholds.calendar, periods.earliest, periods.end)
    joins, waited, waiting_now = _first_wait(clock, periods)
    still_waiting = and_(
        s.first_agent_reply_at.is_(None), s.status.in_(WAITING), waiting_now > target
    )
    first_breached = or_(waited > target, still_waiting, marks.c.ticket_id.is_not(None))
    tickets = snapshots.outerjoin(acts, _same_ticket(acts.c)).outerjoin(
        marks, _same_ticket(marks.c)
    )
    for table, on in joins:
        tickets = tickets.outerjoin(table, on)
    return (
        select(
            *_ticket_scope(periods),
            s.requester_id,
            s.requester_email,
            s.ticket_id,
            s.created_at,
            s.solved_at,
            answered_after.label("answered_after"),
            _flag(acts.c.escalated == 1).label("escalated"),
            _flag(solved).label("solved"),
            _flag(and_(solved, s.agent_replies <= thresholds.interactions)).label("solved_within"),
            _flag(s.reopens > 0).label("reopened"),
            _flag(or_(acts.c.passed_around == 1, hops_over)).label("passed_around"),
            (s.group_hops + s.assignee_hops).label("hops"),
            _flag(first_breached).label("first_breached"),
            _flag(_next_wait_breached(periods, thresholds)).label("next_breached"),
        )
        .select_from(tickets)
        .where(*_created_in(periods), *only)
    )


def _first_wait(clock: ReportClock, periods: ReportPeriods) -> tuple[list, Any, Any]:
    """The joins a first-reply wait needs, how long it lasted (NULL: no reply yet) and how
    long it has lasted by the end, as the SLA counts: calendar or business seconds."""
    s = snapshots.c
    if not clock.business:
        waiting_now = seconds_between(s.created_at, literal(periods.end, s.created_at.type))
        return [], _answered_after(), waiting_now
    created, on_created = clock.join("cal_created", s.created_at)
    replied, on_replied = clock.join("cal_replied", s.first_agent_reply_at)
    counted_at_creation = clock.counted(created, s.created_at)
    waited = clock.counted(replied, s.first_agent_reply_at) - counted_at_creation
    waiting_now = clock.counted_until(periods.end) - counted_at_creation
    return [(created, on_created), (replied, on_replied)], waited, waiting_now


def _ticket_scope(periods: ReportPeriods) -> tuple[ColumnElement[Any], ...]:
    """A ticket's periods (by its creation) and scope: `Fine`'s columns."""
    s = snapshots.c
    return (
        period_of(s.created_at, periods.windows).label("window"),
        period_of(s.created_at, periods.trend).label("week"),
        s.helpdesk,
        func.coalesce(s.first_reply_group_id, s.group_id).label("grp"),
        s.assignee_id.label("agent"),
    )


def _created_in(periods: ReportPeriods) -> tuple[ColumnElement[bool], ...]:
    s = snapshots.c
    return (s.created_at >= periods.earliest, s.created_at < periods.end)


def _answered_after() -> ColumnElement[float]:
    """Seconds from the ticket's creation to its first agent reply; NULL: none yet."""
    s = snapshots.c
    return case(
        (s.first_agent_reply_at.is_(None), None),
        else_=_not_negative(seconds_between(s.created_at, s.first_agent_reply_at)),
    )


def target_of(priority: Any, thresholds: Thresholds) -> ColumnElement[float]:
    """The response target (seconds) of a ticket's priority."""
    if not thresholds.targets_by_priority:
        return literal(thresholds.target_s)
    return case(
        *((priority == name, seconds) for name, seconds in thresholds.targets_by_priority),
        else_=literal(thresholds.target_s),
    )


def first_response_quantiles(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> dict[ScopeKey, Quantiles]:
    """First-response p50 and p90 per scope: the values at the ranks each percentile
    interpolates between, found in SQL (`_ranks_grouped` on PostgreSQL, `_ranks_windowed`
    elsewhere; the same ranks), interpolated here."""
    s = snapshots.c
    window, week, helpdesk, grp, agent = _ticket_scope(periods)
    answered = (
        select(window, week, helpdesk, grp, agent, cast(_answered_after(), Float).label("value"))
        .where(*_created_in(periods), s.first_agent_reply_at.is_not(None))
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


def outcome_counts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> dict[Happened, OutcomeCounts]:
    """Solved tickets created in the window, by what happened on them."""
    _without_jit(conn)
    facts = _solved_in_window(periods, thresholds).subquery("facts")
    f, a = facts.c, answers.c
    breached = or_(f.first_breached == 1, f.next_breached == 1)
    flags = (_flag(breached), f.escalated, f.passed_around, f.solved_within)
    query = (
        select(
            *flags,
            func.count(),
            func.count(a.ticket_id),
            _sum(_flag(a.answer == "solved")),
            _sum(_flag(_came_back(f, thresholds))),
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
    _without_jit(conn)
    facts = _solved_in_window(periods, thresholds).subquery("facts")
    f = facts.c
    breached = or_(f.first_breached == 1, f.next_breached == 1)
    query = select(
        f.requester_email,
        func.coalesce(f.solved_at, f.created_at),
        _flag(breached),
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


def _next_reply_counts(
    conn: Connection, periods: ReportPeriods, thresholds: Thresholds
) -> dict[Fine, WaitCounts]:
    w, s = waits.c, snapshots.c
    joins, breached = _next_breached_condition(periods, thresholds)
    keys = _fine(w.started_at, periods, w.helpdesk, func.coalesce(w.end_group_id, w.group_id))
    rows = waits.outerjoin(snapshots, and_(s.helpdesk == w.helpdesk, s.ticket_id == w.ticket_id))
    for table, on in joins:
        rows = rows.outerjoin(table, on)
    query = (
        select(*keys, func.count(), _sum(_flag(breached)))
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


def _next_breached_condition(periods: ReportPeriods, thresholds: Thresholds) -> tuple[list, Any]:
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


def _next_wait_breached(periods: ReportPeriods, thresholds: Thresholds) -> Any:
    """The ticket (of the outer query) had a next-reply wait breached."""
    w, s = waits.c, snapshots.c
    joins, breached = _next_breached_condition(periods, thresholds)
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


def _survey_counts(conn: Connection, periods: ReportPeriods) -> dict[Fine, SurveyCounts]:
    o, s, a = outbox.c, snapshots.c, answers.c
    keys = _fine(o.sent_at, periods, o.helpdesk, func.coalesce(s.first_reply_group_id, s.group_id))
    query = (
        select(*keys, func.count(), func.count(a.ticket_id), _sum(_flag(a.answer == "solved")))
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


def _fine(moment: Any, periods: ReportPeriods, helpdesk: Any, group: Any) -> tuple[Any, ...]:
    """The finest keys counts are grouped by: (window, week, helpdesk, group, agent)."""
    return (
        period_of(moment, periods.windows).label("window"),
        period_of(moment, periods.trend).label("week"),
        helpdesk,
        group.label("grp"),
        snapshots.c.assignee_id.label("agent"),
    )


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


def _first_reply_marks() -> Any:
    """The tickets a poll found a first-reply wait of breached: one row each."""
    w = waits.c
    return (
        select(w.helpdesk, w.ticket_id)
        .where(w.kind == WaitKind.FIRST_REPLY.value, w.breached_at.is_not(None))
        .group_by(w.helpdesk, w.ticket_id)
        .subquery("marks")
    )


def _action_flags() -> Any:
    """The tickets resolve.two_interactions or resolve.passed_around acted on: one row
    each, with 1 in `escalated` / `passed_around` for the rules that did."""
    a = action_log.c
    return (
        select(
            a.helpdesk,
            a.ticket_id,
            func.max(_flag(a.rule == TWO_INTERACTIONS)).label("escalated"),
            func.max(_flag(a.rule == PASSED_AROUND)).label("passed_around"),
        )
        .where(a.rule.in_((TWO_INTERACTIONS, PASSED_AROUND)))
        .group_by(a.helpdesk, a.ticket_id)
        .subquery("acts")
    )


def _same_ticket(c: Any) -> ColumnElement[bool]:
    s = snapshots.c
    return and_(c.helpdesk == s.helpdesk, c.ticket_id == s.ticket_id)


def _not_negative(seconds: ColumnElement[float]) -> ColumnElement[float]:
    # A clock skew between the helpdesk's fields is not a negative wait.
    return case((seconds < 0, 0.0), else_=seconds)


def _flag(condition: Any) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _sum(column: Any) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)
