"""Sync cursors: where each helpdesk's incremental read stands, and how polls went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from care.store.schema import SyncCursor
from care.store.sql import table_of, upsert

cursors = table_of(SyncCursor)


@dataclass(frozen=True, slots=True)
class CursorInfo:
    helpdesk: str
    cursor: str | None  # opaque to the store: whatever the connector resumes from
    updated_at: datetime  # when this row last changed
    last_poll_started_at: datetime | None
    last_poll_finished_at: datetime | None  # end of the last poll, successful or not
    last_error: str | None  # None when the last poll succeeded
    tickets_seen: int  # total over all polls
    last_page_saved_at: datetime | None = None  # the last page with tickets saved
    caught_up_at: datetime | None = None  # the last poll that read to the end of the changes


def get(conn: Connection, helpdesk: str) -> CursorInfo | None:
    row = conn.execute(select(cursors).where(cursors.c.helpdesk == helpdesk)).first()
    return CursorInfo(**row._mapping) if row else None


def save(
    conn: Connection, helpdesk: str, cursor: str, tickets: int, now: datetime, end_of_stream: bool
) -> None:
    """A page handled: the cursor moves on, the error clears, the total grows. A page with
    tickets counts as saved; the last page of the changes marks the helpdesk caught up."""
    values: dict[str, Any] = {"cursor": cursor, "last_poll_finished_at": now, "last_error": None}
    if tickets:
        values["last_page_saved_at"] = now
    if end_of_stream:
        values["caught_up_at"] = now
    _write(conn, helpdesk, now, values, tickets_seen=tickets)


def started(conn: Connection, helpdesk: str, now: datetime) -> None:
    _write(conn, helpdesk, now, {"last_poll_started_at": now})


def failed(conn: Connection, helpdesk: str, message: str, now: datetime) -> None:
    """A failed poll keeps its cursor, so the next poll resumes where this one began."""
    _write(conn, helpdesk, now, {"last_poll_finished_at": now, "last_error": message})


def _write(
    conn: Connection,
    helpdesk: str,
    now: datetime,
    values: dict[str, Any],
    tickets_seen: int = 0,
) -> None:
    insert = upsert(conn, cursors).values(
        helpdesk=helpdesk, updated_at=now, tickets_seen=tickets_seen, **values
    )
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[cursors.c.helpdesk],
            set_={
                **values,
                "updated_at": now,
                "tickets_seen": cursors.c.tickets_seen + tickets_seen,
            },
        )
    )
