"""The inbox of product error events (SPEC §4b): the web endpoint records each signed
event once per (source, event id); the proactive-outreach flow reads the new ones, oldest
first, and settles each with an outcome.

The text arrives cleaned by `care.domain.error_events` (no NUL, lone surrogate or bidi
control), so PostgreSQL never refuses a row for its content.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from care.domain.error_events import ErrorEvent, Source
from care.domain.text import clean_line
from care.store.schema import ErrorEventState, StoredErrorEventRow
from care.store.sql import chunked, claim, table_of, upsert

error_events = table_of(StoredErrorEventRow)
STALE_CLAIM = timedelta(minutes=10)
MAX_OUTCOME = 200


@dataclass(frozen=True, slots=True)
class StoredErrorEvent:
    """An event in the inbox: its row id (to settle it by) and the event."""

    id: int
    event: ErrorEvent
    received_at: datetime


def record(conn: Connection, event: ErrorEvent, received_at: datetime) -> bool:
    """Insert the event unless its (source, event id) is in already; True when new.
    A repeat changes nothing, also when two writers race (ON CONFLICT DO NOTHING)."""
    row = {
        "source": event.source,
        "event_id": event.event_id,
        "fingerprint": event.fingerprint,
        "customer_email": event.customer_email,
        "customer_id": event.customer_id,
        "title": event.title,
        "message": event.message,
        "url": event.url,
        "error_code": event.error_code,
        "occurred_at": event.occurred_at,
        "received_at": received_at,
        "state": ErrorEventState.NEW.value,
    }
    stmt = (
        upsert(conn, error_events)
        .values(row)
        .on_conflict_do_nothing(index_elements=[error_events.c.source, error_events.c.event_id])
        .returning(error_events.c.id)  # a row only when inserted
    )
    return conn.execute(stmt).first() is not None


def pending(conn: Connection, limit: int) -> list[StoredErrorEvent]:
    """Events not handled yet, oldest received first."""
    e = error_events.c
    query = (
        select(error_events)
        .where(e.state == ErrorEventState.NEW.value)
        .order_by(e.received_at, e.id)
        .limit(limit)
    )
    return [_stored(row._mapping) for row in conn.execute(query)]


def claim_new(
    conn: Connection, token: str, now: datetime, limit: int, stale_after: timedelta = STALE_CLAIM
) -> list[StoredErrorEvent]:
    """Claim up to `limit` events not handled yet, oldest received first: unclaimed ones
    and those whose claim is older than `stale_after` (its run died). Two runs at once
    take disjoint sets (`care.store.sql.claim`)."""
    e = error_events.c
    claimable = (e.state == ErrorEventState.NEW.value) & or_(
        e.claimed_at.is_(None), e.claimed_at < now - stale_after
    )
    rows = claim(
        conn,
        error_events,
        claimable,
        [e.received_at, e.id],
        limit,
        {"claim_token": token, "claimed_at": now},
    )
    ordered = sorted(rows, key=lambda row: (row.received_at, row.id))
    return [_stored(row._mapping) for row in ordered]


def settle(conn: Connection, outcomes: Mapping[int, str], at: datetime) -> int:
    """Mark these events done with their outcomes; returns how many rows changed. An event
    settled already keeps its first outcome."""
    e = error_events.c
    stmt = (
        update(error_events)
        .where(e.id == bindparam("row_id"), e.state == ErrorEventState.NEW.value)
        .values(state=ErrorEventState.DONE.value, outcome=bindparam("new_outcome"), handled_at=at)
        .execution_options(preserve_rowcount=True)
    )
    rows = [{"row_id": id, "new_outcome": clean_line(o, MAX_OUTCOME)} for id, o in outcomes.items()]
    changed = 0
    for chunk in chunked(rows):
        changed += conn.execute(stmt, list(chunk)).rowcount
    return changed


def counts(conn: Connection) -> dict[str, int]:
    """'new' -> events waiting, and 'done:<outcome>' -> events handled that way."""
    e = error_events.c
    query = select(e.state, e.outcome, func.count()).group_by(e.state, e.outcome)
    found: dict[str, int] = {"new": 0}
    for state, outcome, n in conn.execute(query):
        key = "new" if state == ErrorEventState.NEW.value else f"done:{outcome or ''}"
        found[key] = found.get(key, 0) + n
    return found


def _stored(row: Mapping[str, Any]) -> StoredErrorEvent:
    event = ErrorEvent(
        source=cast(Source, row["source"]),
        event_id=row["event_id"],
        fingerprint=row["fingerprint"],
        customer_email=row["customer_email"],
        customer_id=row["customer_id"],
        title=row["title"],
        message=row["message"],
        url=row["url"],
        error_code=row["error_code"],
        occurred_at=row["occurred_at"],
    )
    return StoredErrorEvent(id=row["id"], event=event, received_at=row["received_at"])
