"""The survey outbox: at most one "Did we solve it?" e-mail per ticket.

A row's states (`SurveyState`) and every transition between them:

    from              to                     by
    scheduled         claimed                claim_due, once `due_at` has come
    claimed           claimed (new owner)    claim_due, once `claimed_at` is stale
    claimed           scheduled              reschedule: not due yet after all
    claimed           skipped (final)        mark_skipped: `skip_reason` says why
    claimed           reopened               mark_reopened: the ticket is not solved
    reopened          scheduled              schedule: the ticket was solved again
    claimed           [send started]         start_send, committed before the transport runs
    [send started]    sent (final)           mark_sent: `sent_at`, `message_id` kept for good
    [send started]    scheduled              mark_failed with a retry time: failed (retry at)
    claimed, or
    [send started]    failed (final)         mark_failed without one; `last_error` says why
    [send started]    failed (final)         mark_interrupted: see below

`[send started]` is `claimed` with `send_started_at` (and the `message_id` being
sent) set; `start_send` also renews `claimed_at`, so a claim goes stale only
when a send has been under way for the whole stale timeout.

A stale claim taken over with `send_started_at` set means a dispatcher died (or
stalled) between calling the transport and recording the outcome: the e-mail may
or may not have gone. The new owner asks its transport (`delivered`): yes →
`mark_sent`, nothing sent again; no → handled like any claimed row (decided,
sent); cannot tell (SMTP) → `mark_interrupted`: `failed` for good, `last_error`
saying so, `send_started_at` kept. A survey is never sent a second time unless
the first is known not to have been delivered, and never dropped without a
failed row that says why.

So `send_started_at` is set only while a send is under way, and on a failed row
whose send was interrupted; every other transition clears it.

Every transition out of `claimed` names the claim token, and changes nothing
(returning False) when the row is no longer claimed under that token: a
dispatcher whose claim was taken over never overwrites the new owner's outcome.
`sent` is final: nothing here ever turns it into anything else.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Connection, Row

from care.store.schema import SurveyOutboxEntry, SurveyState
from care.store.sql import chunked, claim, table_of, upsert

outbox = table_of(SurveyOutboxEntry)
STALE_CLAIM = timedelta(minutes=15)
_UNCLAIMED: dict[str, Any] = {"claim_token": None, "claimed_at": None, "send_started_at": None}


@dataclass(frozen=True, slots=True)
class SurveyRequest:
    helpdesk: str
    ticket_id: str
    requester_id: str
    requester_email: str | None
    requester_name: str
    subject: str
    solved_at: datetime
    due_at: datetime


@dataclass(frozen=True, slots=True)
class SurveyRecord:
    id: int
    helpdesk: str
    ticket_id: str
    requester_id: str
    requester_email: str | None
    requester_name: str
    subject: str
    solved_at: datetime
    due_at: datetime
    state: SurveyState
    attempts: int
    claim_token: str | None
    claimed_at: datetime | None
    sent_at: datetime | None
    message_id: str | None
    skip_reason: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    send_started_at: datetime | None = None
    link_nonce: str | None = None  # carried by the survey's links; see care/surveys/links.py

    @property
    def ticket_key(self) -> str:
        """`helpdesk:ticket_id`, the same as `Ticket.key`: one survey per key."""
        return f"{self.helpdesk}:{self.ticket_id}"


_REQUEST_FIELDS = (
    "requester_id",
    "requester_email",
    "requester_name",
    "subject",
    "solved_at",
    "due_at",
)


def schedule(conn: Connection, items: Sequence[SurveyRequest], now: datetime) -> int:
    """Insert absent surveys; reschedule `reopened` ones solved again. Returns how many."""
    if not items:
        return 0
    latest: dict[tuple[str, str], SurveyRequest] = {}
    for item in items:  # one row per ticket: PostgreSQL refuses to update a row twice
        seen = latest.get((item.helpdesk, item.ticket_id))
        if seen is None or item.solved_at > seen.solved_at:
            latest[(item.helpdesk, item.ticket_id)] = item
    rows = [_row(item, now) for item in latest.values()]
    insert = upsert(conn, outbox)
    o = outbox.c
    stmt = insert.on_conflict_do_update(
        index_elements=[o.helpdesk, o.ticket_id],
        set_={
            **{name: insert.excluded[name] for name in _REQUEST_FIELDS},
            "state": SurveyState.SCHEDULED.value,
            "attempts": 0,
            "claim_token": None,
            "claimed_at": None,
            "send_started_at": None,
            "last_error": None,
            "updated_at": insert.excluded.updated_at,
        },
        where=(o.state == SurveyState.REOPENED) & (insert.excluded.solved_at > o.solved_at),
    ).execution_options(preserve_rowcount=True)
    # rowcount sums inserted and updated rows; a conflict the WHERE refuses counts 0.
    return sum(conn.execute(stmt, list(chunk)).rowcount for chunk in chunked(rows))


def claim_due(
    conn: Connection, now: datetime, token: str, limit: int, stale_after: timedelta
) -> list[SurveyRecord]:
    o = outbox.c
    claimable = or_(
        (o.state == SurveyState.SCHEDULED) & (o.due_at <= now),
        (o.state == SurveyState.CLAIMED) & (o.claimed_at < now - stale_after),
    )
    rows = claim(
        conn,
        outbox,
        claimable,
        order_by=[o.due_at, o.id],
        limit=limit,
        values={
            "state": SurveyState.CLAIMED,
            "claim_token": token,
            "claimed_at": now,
            "updated_at": now,
        },
    )
    return sorted((_record(r) for r in rows), key=lambda r: (r.due_at, r.id))


def get(conn: Connection, helpdesk: str, ticket_id: str) -> SurveyRecord | None:
    o = outbox.c
    query = select(outbox).where(o.helpdesk == helpdesk, o.ticket_id == ticket_id)
    row = conn.execute(query).first()
    return _record(row) if row else None


def get_by_id(conn: Connection, id: int) -> SurveyRecord | None:
    row = conn.execute(select(outbox).where(outbox.c.id == id)).first()
    return _record(row) if row else None


def due(conn: Connection, now: datetime, limit: int) -> list[SurveyRecord]:
    """Surveys due by `now`, read only (for dry runs): nothing is claimed."""
    o = outbox.c
    query = (
        select(outbox)
        .where(o.state == SurveyState.SCHEDULED, o.due_at <= now)
        .order_by(o.due_at, o.id)
        .limit(limit)
    )
    return [_record(r) for r in conn.execute(query)]


def reschedule(conn: Connection, id: int, token: str, due_at: datetime, now: datetime) -> bool:
    """Not due yet after all (the ticket was solved again later): back to `scheduled`."""
    return _settle(
        conn, id, token, now, {"state": SurveyState.SCHEDULED, "due_at": due_at, **_UNCLAIMED}
    )


def start_send(conn: Connection, id: int, token: str, now: datetime, message_id: str) -> bool:
    """`[send started]`: to be committed before the transport is called. False: do not send."""
    values = {"send_started_at": now, "message_id": message_id, "claimed_at": now}
    return _settle(conn, id, token, now, values)


def mark_sent(
    conn: Connection,
    id: int,
    token: str,
    now: datetime,
    message_id: str,
    sent_at: datetime | None = None,
) -> bool:
    """Sent at `sent_at` (default `now`): final."""
    values = {
        "state": SurveyState.SENT,
        "sent_at": sent_at or now,
        "message_id": message_id,
        "last_error": None,
        "send_started_at": None,
    }
    return _settle(conn, id, token, now, values)


def mark_skipped(conn: Connection, id: int, token: str, reason: str, now: datetime) -> bool:
    values = {"state": SurveyState.SKIPPED, "skip_reason": reason, "send_started_at": None}
    return _settle(conn, id, token, now, values)


def mark_reopened(conn: Connection, id: int, token: str, now: datetime) -> bool:
    return _settle(conn, id, token, now, {"state": SurveyState.REOPENED, **_UNCLAIMED})


def mark_failed(
    conn: Connection, id: int, token: str, error: str, now: datetime, retry_at: datetime | None
) -> bool:
    """Not delivered: retry at `retry_at` (back to `scheduled`), or give up when it is None."""
    values: dict[str, Any] = {
        "attempts": outbox.c.attempts + 1,
        "last_error": error,
        "send_started_at": None,
    }
    if retry_at is None:
        values["state"] = SurveyState.FAILED
    else:
        values.update(state=SurveyState.SCHEDULED, due_at=retry_at, **_UNCLAIMED)
    return _settle(conn, id, token, now, values)


def mark_interrupted(conn: Connection, id: int, token: str, error: str, now: datetime) -> bool:
    """An interrupted send that may have been delivered: `failed` for good, never sent again.

    `send_started_at` stays: it tells when the send that may have gone out began.
    """
    values = {"state": SurveyState.FAILED, "attempts": outbox.c.attempts + 1, "last_error": error}
    return _settle(conn, id, token, now, values)


def last_sent_to(conn: Connection, email: str, since: datetime) -> datetime | None:
    """The latest send to this address (case-insensitive) at or after `since`."""
    o = outbox.c
    query = select(func.max(o.sent_at)).where(
        func.lower(o.requester_email) == email.lower(), o.sent_at >= since
    )
    sent_at: datetime | None = conn.execute(query).scalar_one()
    return sent_at


def counts(conn: Connection) -> dict[str, int]:
    """state -> number of surveys, every state present (zeros included)."""
    query = select(outbox.c.state, func.count()).group_by(outbox.c.state)
    found = {state: n for state, n in conn.execute(query)}
    return {state.value: found.get(state.value, 0) for state in SurveyState}


def _settle(conn: Connection, id: int, token: str, now: datetime, values: dict[str, Any]) -> bool:
    """Update a row still claimed under `token`; False when it is not (taken over or settled)."""
    o = outbox.c
    stmt = (
        update(outbox)
        .where(o.id == id, o.state == SurveyState.CLAIMED, o.claim_token == token)
        .values(**values, updated_at=now)
    )
    return conn.execute(stmt).rowcount == 1


def _row(item: SurveyRequest, now: datetime) -> dict[str, Any]:
    return {
        "helpdesk": item.helpdesk,
        "ticket_id": item.ticket_id,
        **{name: getattr(item, name) for name in _REQUEST_FIELDS},
        "state": SurveyState.SCHEDULED.value,
        "attempts": 0,
        "claim_token": None,
        "claimed_at": None,
        "sent_at": None,
        "message_id": None,
        "skip_reason": None,
        "last_error": None,
        "send_started_at": None,
        # Kept when a reopened survey is scheduled again: no link carries it before it is sent.
        "link_nonce": secrets.token_hex(16),
        "created_at": now,
        "updated_at": now,
    }


def _record(row: Row[Any]) -> SurveyRecord:
    m = dict(row._mapping)
    m["state"] = SurveyState(m["state"])
    return SurveyRecord(**m)
