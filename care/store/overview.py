"""Counts across the store for `care status`, read in one transaction, written nowhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, or_, select
from sqlalchemy.engine import Connection

from care.store import actions, answers, cursors, quarantine, snapshots, surveys
from care.store.actions import ActionRecord
from care.store.cursors import CursorInfo
from care.store.quarantine import QuarantinedRecord
from care.store.schema import SurveyState


@dataclass(frozen=True, slots=True)
class StoredTickets:
    count: int
    newest_change: datetime | None  # the newest `updated_at` among the snapshots


@dataclass(frozen=True, slots=True)
class SurveyTotals:
    by_state: dict[str, int]  # every SurveyState, zeros included
    due_now: int  # of the scheduled, those whose time has come
    answers: dict[str, int]  # "solved" / "unsolved" -> count
    comments: int
    pending_write_backs: int  # answers or comments not on the ticket yet
    opt_outs: int


@dataclass(frozen=True, slots=True)
class Overview:
    cursors: dict[str, CursorInfo]
    tickets: dict[str, StoredTickets]
    actions_by_rule: dict[str, dict[str, dict[str, int]]]  # helpdesk -> rule -> state -> n
    recent_actions: list[ActionRecord]  # newest first
    failed_actions: list[ActionRecord]  # failed: given up, to be retried, or claim gone stale
    surveys: SurveyTotals
    quarantined: list[QuarantinedRecord]  # seen most recently first
    quarantined_by_helpdesk: dict[str, int]  # all of them, counted

    @property
    def helpdesks(self) -> list[str]:
        """Every helpdesk the store knows of."""
        return sorted(
            {*self.cursors, *self.tickets, *self.actions_by_rule, *self.quarantined_by_helpdesk}
        )


def read_overview(
    conn: Connection, now: datetime, recent: int, failed: int, quarantined: int = 50
) -> Overview:
    return Overview(
        cursors=_cursors(conn),
        tickets=_tickets(conn),
        actions_by_rule=_actions_by_rule(conn),
        recent_actions=actions.recent(conn, recent),
        failed_actions=actions.failing(conn, now, failed),
        surveys=_surveys(conn, now),
        quarantined=quarantine.listed(conn, quarantined),
        quarantined_by_helpdesk=quarantine.counts(conn),
    )


def _cursors(conn: Connection) -> dict[str, CursorInfo]:
    rows = conn.execute(select(cursors.cursors).order_by(cursors.cursors.c.helpdesk))
    return {row.helpdesk: CursorInfo(**row._mapping) for row in rows}


def _tickets(conn: Connection) -> dict[str, StoredTickets]:
    s = snapshots.snapshots.c
    query = select(s.helpdesk, func.count(), func.max(s.updated_at)).group_by(s.helpdesk)
    return {helpdesk: StoredTickets(n, newest) for helpdesk, n, newest in conn.execute(query)}


def _actions_by_rule(conn: Connection) -> dict[str, dict[str, dict[str, int]]]:
    a = actions.action_log.c
    query = select(a.helpdesk, a.rule, a.state, func.count()).group_by(a.helpdesk, a.rule, a.state)
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for helpdesk, rule, state, n in conn.execute(query):
        counts.setdefault(helpdesk, {}).setdefault(rule, {})[state] = n
    return counts


def _surveys(conn: Connection, now: datetime) -> SurveyTotals:
    o = surveys.outbox.c
    due = select(func.count()).where(o.state == SurveyState.SCHEDULED, o.due_at <= now)
    a = answers.answers.c
    by_answer = dict(conn.execute(select(a.answer, func.count()).group_by(a.answer)).all())
    pending = or_(
        a.answer_written_at.is_(None), a.comment.is_not(None) & a.comment_written_at.is_(None)
    )
    return SurveyTotals(
        by_state=surveys.counts(conn),
        due_now=conn.execute(due).scalar_one(),
        answers={answer: by_answer.get(answer, 0) for answer in ("solved", "unsolved")},
        comments=_count(conn, answers.answers, a.comment.is_not(None)),
        pending_write_backs=_count(conn, answers.answers, pending),
        opt_outs=_count(conn, answers.opt_outs),
    )


def _count(conn: Connection, table: Table, *where: Any) -> int:
    return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
