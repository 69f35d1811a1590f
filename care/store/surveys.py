"""The survey outbox: at most one "Did we solve it?" e-mail per ticket.

Life of a row: `scheduled` → `claimed` (by one dispatcher) → `sent` | `skipped`
| `failed`, or back to `scheduled` for a retry. A ticket found reopened at send
time parks its row in `reopened`; when the ticket is solved again the row is
scheduled anew. `sent` is final: nothing here ever turns it into anything else.
"""

from __future__ import annotations

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


def reschedule(conn: Connection, id: int, due_at: datetime, now: datetime) -> None:
    """Not due yet after all (the ticket was solved again later): back to `scheduled`."""
    _update(
        conn,
        id,
        now,
        {"state": SurveyState.SCHEDULED, "due_at": due_at, "claim_token": None, "claimed_at": None},
        outbox.c.state.in_([SurveyState.SCHEDULED, SurveyState.CLAIMED]),
    )


def mark_sent(conn: Connection, id: int, now: datetime, message_id: str) -> None:
    _update(
        conn,
        id,
        now,
        {"state": SurveyState.SENT, "sent_at": now, "message_id": message_id, "last_error": None},
        outbox.c.state != SurveyState.SENT,  # keep the first send's time and message id
    )


def mark_skipped(conn: Connection, id: int, reason: str, now: datetime) -> None:
    _update(
        conn,
        id,
        now,
        {"state": SurveyState.SKIPPED, "skip_reason": reason},
        outbox.c.state != SurveyState.SENT,
    )


def mark_reopened(conn: Connection, id: int, now: datetime) -> None:
    _update(
        conn,
        id,
        now,
        {"state": SurveyState.REOPENED, "claim_token": None, "claimed_at": None},
        outbox.c.state.in_([SurveyState.SCHEDULED, SurveyState.CLAIMED]),
    )


def mark_failed(
    conn: Connection, id: int, error: str, now: datetime, retry_at: datetime | None
) -> None:
    """Retry at `retry_at` (back to `scheduled`), or give up (`failed`) when it is None."""
    values: dict[str, Any] = {
        "attempts": outbox.c.attempts + 1,
        "last_error": error,
        "claim_token": None,
        "claimed_at": None,
    }
    if retry_at is None:
        values["state"] = SurveyState.FAILED
    else:
        values.update(state=SurveyState.SCHEDULED, due_at=retry_at)
    _update(conn, id, now, values, outbox.c.state.in_([SurveyState.SCHEDULED, SurveyState.CLAIMED]))


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


def _update(conn: Connection, id: int, now: datetime, values: dict[str, Any], *where: Any) -> None:
    conn.execute(update(outbox).where(outbox.c.id == id, *where).values(**values, updated_at=now))


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
        "created_at": now,
        "updated_at": now,
    }


def _record(row: Row[Any]) -> SurveyRecord:
    m = dict(row._mapping)
    m["state"] = SurveyState(m["state"])
    return SurveyRecord(**m)
