"""The alert outbox: action-log rows of applied `notify` actions whose alert is still due.

An alert is due while its row is `applied`, `notify`, of an alerting rule, applied
within the age limit, not `notified_at`, and tried fewer than `max_attempts` times.

Claiming reuses the row's `claim_token` / `claimed_at`: once a row is applied, the
applier never touches it again (`mark_applied` and `mark_failed` skip applied rows,
`claim_pending` takes only pending or applying ones), so the columns are free. An
alert claim's token starts with `alert:`, which tells it from the applier's old one.

    from                 to                                   by
    due                  claimed (alert:token)                claim_due
    claimed, stale       claimed (new owner)                  claim_due
    claimed              notified (final)                     mark_notified
    claimed              due, attempts + 1, notify_error      mark_failed
    claimed              due, as it was                       release (not tried)

At `max_attempts` a row is no longer due and keeps its `notify_error`. Every
transition out of `claimed` names the token and changes nothing when the claim
was taken over. Claiming is `care.store.sql.claim`: FOR UPDATE SKIP LOCKED on
PostgreSQL, SQLite's single writer otherwise, so two senders never share a row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.engine import Connection

from care.store.actions import ActionRecord, _record, action_log
from care.store.schema import ActionState
from care.store.sql import chunked, claim

STALE_CLAIM = timedelta(minutes=10)
CLAIM_PREFIX = "alert:"
_RELEASED: dict[str, Any] = {"claim_token": None, "claimed_at": None}


def claim_due(
    conn: Connection,
    helpdesk: str,
    rules: Sequence[str],
    token: str,
    limit: int,
    now: datetime,
    *,
    max_attempts: int,
    applied_since: datetime,
    stale_after: timedelta = STALE_CLAIM,
    exclude: Iterable[int] = (),
) -> list[ActionRecord]:
    """Claim due alerts (and stale alert claims) of one helpdesk, oldest first.

    `exclude`: ids the caller already tried in this run, not to be tried again.
    """
    a = action_log.c
    claimable = (
        (a.helpdesk == helpdesk)
        & (a.state == ActionState.APPLIED)
        & a.notify
        & a.notified_at.is_(None)
        & (a.notify_attempts < max_attempts)
        & a.rule.in_(list(rules))
        & (a.applied_at >= applied_since)
        & or_(
            a.claim_token.is_(None),
            ~a.claim_token.startswith(CLAIM_PREFIX),
            a.claimed_at < now - stale_after,
        )
    )
    skip = sorted(set(exclude))
    if skip:
        claimable = claimable & a.id.not_in(skip)
    rows = claim(
        conn,
        action_log,
        claimable,
        order_by=[a.id],
        limit=limit,
        values={"claim_token": _token(token), "claimed_at": now},
    )
    return sorted((_record(r) for r in rows), key=lambda r: r.id)


def mark_notified(conn: Connection, id: int, token: str, now: datetime) -> bool:
    """The alert reached every channel: never sent again. False: the claim was lost."""
    values = {"notified_at": now, "notify_error": None, **_RELEASED}
    return _owned(conn, [id], token, values) == 1


def mark_failed(conn: Connection, id: int, token: str, error: str) -> bool:
    """One more failed try, with why; due again until `max_attempts`."""
    values = {"notify_attempts": action_log.c.notify_attempts + 1, "notify_error": error}
    return _owned(conn, [id], token, {**values, **_RELEASED}) == 1


def release(conn: Connection, ids: Iterable[int], token: str) -> int:
    """Give back claims not tried (no attempt counted)."""
    return _owned(conn, ids, token, _RELEASED)


def _owned(conn: Connection, ids: Iterable[int], token: str, values: dict[str, Any]) -> int:
    a = action_log.c
    changed = 0
    for chunk in chunked(sorted(set(ids))):
        mine: ColumnElement[bool] = (a.claim_token == _token(token)) & a.notified_at.is_(None)
        stmt = update(action_log).where(a.id.in_(chunk), mine).values(**values)
        changed += conn.execute(stmt).rowcount
    return changed


def _token(token: str) -> str:
    return f"{CLAIM_PREFIX}{token}"
