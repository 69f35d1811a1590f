"""The action log: every action a rule decided, applied at most once.

Life of a row: `pending` (recorded) → `applying` (claimed by one worker) →
`applied`, or back to `pending` on a failure until `failed` at max attempts.
A failure sets `last_error` and `retry_at`: the row is claimed again from then
on, after a backoff (`RETRY_DELAYS`), not on the very next page.
A run that stops with claimed rows in hand gives them back (`release`) with
its error; one that dies without a word leaves `applying` rows behind, and once
their claim is stale another worker may claim them again, and finds the
`job_id` the dead worker had submitted, if any, to check before resubmitting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select, update
from sqlalchemy.engine import Connection, Row

from care.domain.actions import Action
from care.domain.model import Priority
from care.store.schema import ActionLogEntry, ActionState, UTCDateTime
from care.store.sql import chunked, claim, table_of, upsert

action_log = table_of(ActionLogEntry)
STALE_CLAIM = timedelta(minutes=10)
# Wait after the 1st, 2nd, 3rd, 4th and every later failure of a write: the next
# page or poll retries a blip, an outage is not hammered every five minutes.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 60))


@dataclass(frozen=True, slots=True)
class ActionRecord:
    id: int
    helpdesk: str
    ticket_id: str
    rule: str
    variant: str
    state: ActionState
    reason: str
    add_tags: frozenset[str]
    set_priority: Priority | None
    set_group: str | None
    note: str | None  # rendered text, ready to post
    note_public: bool
    notify: bool
    survey_due_at: datetime | None
    created_at: datetime
    claimed_at: datetime | None
    applied_at: datetime | None
    attempts: int  # failures so far
    last_error: str | None
    job_id: str | None
    claim_token: str | None
    notified_at: datetime | None = None  # the alert of a `notify` action went out
    notify_attempts: int = 0
    notify_error: str | None = None
    retry_at: datetime | None = None  # after a failure: not claimed again before then
    remove_tags: frozenset[str] = frozenset()  # the SLA's own state tags only

    @property
    def key(self) -> str:
        """Equal to the `Action.key` this record was made from."""
        return f"{self.helpdesk}:{self.ticket_id}:{self.rule}:{self.variant}"

    @property
    def changes_ticket(self) -> bool:
        return bool(self.add_tags or self.remove_tags or self.set_priority or self.set_group)


def record(conn: Connection, items: Sequence[tuple[Action, str | None]], now: datetime) -> int:
    """Insert actions not recorded yet (by key) as `pending` (or `applied`, when there is
    nothing to write to the helpdesk); return how many were new."""
    if not items:
        return 0
    insert = upsert(conn, action_log)
    stmt = insert.on_conflict_do_nothing(
        index_elements=[action_log.c[k] for k in ("helpdesk", "ticket_id", "rule", "variant")]
    ).execution_options(preserve_rowcount=True)
    rows = [_row(action, note, now) for action, note in items]
    # A plain executemany (psycopg pipelines it, sqlite3 loops in C): both
    # drivers sum rowcount over the batch, and a skipped conflict counts 0.
    # (RETURNING would make SQLAlchemy build one huge multi-row VALUES that
    # psycopg then parses for 100+ ms per 1000 rows.)
    return sum(conn.execute(stmt, list(chunk)).rowcount for chunk in chunked(rows))


def claim_pending(
    conn: Connection,
    helpdesk: str,
    token: str,
    limit: int | None,
    now: datetime,
    stale_after: timedelta,
) -> list[ActionRecord]:
    a = action_log.c
    due = (a.state == ActionState.PENDING) & or_(a.retry_at.is_(None), a.retry_at <= now)
    claimable = (a.helpdesk == helpdesk) & or_(
        due, (a.state == ActionState.APPLYING) & (a.claimed_at < now - stale_after)
    )
    rows = claim(
        conn,
        action_log,
        claimable,
        order_by=[a.id],
        limit=limit,
        values={"state": ActionState.APPLYING, "claim_token": token, "claimed_at": now},
    )
    return sorted((_record(r) for r in rows), key=lambda r: r.id)


def mark_job(conn: Connection, ids: Iterable[int], job_id: str) -> None:
    _update(conn, ids, {"job_id": job_id})


def known_keys(conn: Connection, helpdesk: str, ticket_ids: Iterable[str]) -> set[str]:
    """The keys already recorded for these tickets (any state)."""
    a = action_log.c
    keys: set[str] = set()
    for chunk in chunked(sorted(set(ticket_ids))):
        query = select(a.ticket_id, a.rule, a.variant).where(
            a.helpdesk == helpdesk, a.ticket_id.in_(chunk)
        )
        keys.update(f"{helpdesk}:{t}:{rule}:{variant}" for t, rule, variant in conn.execute(query))
    return keys


def mark_applied(conn: Connection, ids: Iterable[int], now: datetime) -> None:
    _update(
        conn,
        ids,
        {"state": ActionState.APPLIED, "applied_at": now, "last_error": None, "retry_at": None},
        action_log.c.state != ActionState.APPLIED,  # keep the first applied_at
    )


def mark_failed(
    conn: Connection, ids: Iterable[int], error: str, max_attempts: int, now: datetime
) -> None:
    """The helpdesk said these changes failed: back to `pending`, due again at `retry_at`
    (after `RETRY_DELAYS`), or `failed` once attempts reach the maximum.

    The job id is dropped: that job failed, a retry submits a new one. Rows
    already applied are left alone.
    """
    a = action_log.c
    _update(
        conn,
        ids,
        {
            "attempts": a.attempts + 1,
            "state": case(
                (a.attempts + 1 >= max_attempts, ActionState.FAILED.value),
                else_=ActionState.PENDING.value,
            ),
            "last_error": error,
            "retry_at": case((a.attempts + 1 < max_attempts, _after_backoff(now)), else_=None),
            "claim_token": None,
            "claimed_at": None,
            "job_id": None,
        },
        a.state.in_([ActionState.PENDING, ActionState.APPLYING]),
    )


def release(
    conn: Connection, ids: Iterable[int], token: str, error: str, now: datetime, attempted: bool
) -> None:
    """Give back rows claimed under `token` that a run could not see through: `pending`
    with `error`, never `failed` (nothing says the changes themselves are wrong).

    `attempted`: the write was sent and raised: one more attempt, due after the
    backoff; otherwise due at once (the next poll). The job id stays, so the retry
    looks for what reached the helpdesk before writing again.
    """
    a = action_log.c
    values: dict[str, Any] = {
        "state": ActionState.PENDING,
        "last_error": error,
        "retry_at": _after_backoff(now) if attempted else now,
        "claim_token": None,
        "claimed_at": None,
    }
    if attempted:
        values["attempts"] = a.attempts + 1
    _update(conn, ids, values, a.state == ActionState.APPLYING, a.claim_token == token)


def _after_backoff(now: datetime) -> ColumnElement[datetime]:
    """`now` plus the delay for the failure being counted (read from `attempts` before
    the update: SQL evaluates every SET against the row as it was)."""
    a = action_log.c
    last = len(RETRY_DELAYS) - 1
    return case(
        *((a.attempts == n, _time(now + RETRY_DELAYS[n])) for n in range(last)),
        else_=_time(now + RETRY_DELAYS[last]),
    )


def _time(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


def counts_by_rule(conn: Connection, helpdesk: str | None) -> dict[str, dict[str, int]]:
    a = action_log.c
    query = select(a.rule, a.state, func.count()).group_by(a.rule, a.state)
    if helpdesk is not None:
        query = query.where(a.helpdesk == helpdesk)
    counts: dict[str, dict[str, int]] = {}
    for rule, state, n in conn.execute(query):
        counts.setdefault(rule, {})[state] = n
    return counts


def recent(conn: Connection, limit: int) -> list[ActionRecord]:
    a = action_log.c
    query = select(action_log).order_by(a.created_at.desc(), a.id.desc()).limit(limit)
    return [_record(r) for r in conn.execute(query)]


def failing(conn: Connection, now: datetime, limit: int) -> list[ActionRecord]:
    """Actions whose last attempt failed, newest first: `failed` (given up), those
    waiting for another try (`pending` or `applying` with a `last_error`), claims gone
    stale (a worker stopped without giving them back), and applied ones whose escalation
    alert a channel refused (`notify_error`, not yet notified)."""
    a = action_log.c
    retrying = a.state.in_([ActionState.PENDING, ActionState.APPLYING]) & a.last_error.is_not(None)
    abandoned = (a.state == ActionState.APPLYING) & (a.claimed_at < now - STALE_CLAIM)
    alert_failing = a.notify_error.is_not(None) & a.notified_at.is_(None)
    query = (
        select(action_log)
        .where(or_(a.state == ActionState.FAILED, retrying, abandoned, alert_failing))
        .order_by(a.id.desc())
        .limit(limit)
    )
    return [_record(r) for r in conn.execute(query)]


def _update(conn: Connection, ids: Iterable[int], values: dict[str, Any], *where: Any) -> None:
    for chunk in chunked(sorted(set(ids))):
        conn.execute(update(action_log).where(action_log.c.id.in_(chunk), *where).values(**values))


def _row(action: Action, note: str | None, now: datetime) -> dict[str, Any]:
    # An action with nothing to write to the helpdesk (a survey schedule) is done once recorded.
    local = not (action.changes_ticket or note)
    return {
        "helpdesk": action.helpdesk,
        "ticket_id": action.ticket_id,
        "rule": action.rule,
        "variant": action.variant,
        "state": (ActionState.APPLIED if local else ActionState.PENDING).value,
        "applied_at": now if local else None,
        "reason": action.reason,
        "add_tags": sorted(action.add_tags),
        "remove_tags": sorted(action.remove_tags),
        "set_priority": action.set_priority.value if action.set_priority else None,
        "set_group": action.set_group,
        "note": note,
        "note_public": bool(action.note and action.note.public),
        "notify": action.notify,
        "survey_due_at": action.survey_due_at,
        "created_at": now,
        "attempts": 0,
    }


def _record(row: Row[Any]) -> ActionRecord:
    m = dict(row._mapping)
    m["state"] = ActionState(m["state"])
    m["add_tags"] = frozenset(m["add_tags"])
    m["remove_tags"] = frozenset(m["remove_tags"] or ())
    m["set_priority"] = Priority(m["set_priority"]) if m["set_priority"] else None
    return ActionRecord(**m)
