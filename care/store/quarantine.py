"""Quarantined tickets: set aside by a poll, with why, until a newer version is recorded.

A ticket lands here when its record could not be mapped (a field of the wrong shape),
its rules raised, or the database refused it (text no sanitiser caught). The rest of its
page is recorded and the cursor moves on, so one bad ticket never blocks the others; the
helpdesk sends the ticket again when it next changes, and recording that version (or any
at least as new) lets it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, tuple_
from sqlalchemy.engine import Connection

from care.domain.model import Ticket
from care.domain.text import clean_line
from care.store.schema import QuarantinedTicket
from care.store.sql import chunked, table_of, upsert

quarantined = table_of(QuarantinedTicket)
MAX_REASON = 500

# SetAside.stage
READ = "read"  # the record could not be mapped to a ticket
RULES = "rules"  # the rules raised on it
STORE = "store"  # the database refused it


@dataclass(frozen=True, slots=True)
class SetAside:
    """A ticket to quarantine."""

    helpdesk: str
    ticket_id: str
    stage: str
    reason: str
    ticket_updated_at: datetime | None = None  # of the version set aside, when readable


@dataclass(frozen=True, slots=True)
class QuarantinedRecord:
    helpdesk: str
    ticket_id: str
    stage: str
    reason: str
    ticket_updated_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    times_seen: int  # polls that set this ticket aside


def add(conn: Connection, entries: Sequence[SetAside], now: datetime) -> None:
    """Quarantine these tickets, or count one more sighting of those already in."""
    rows = {
        (e.helpdesk, e.ticket_id): {
            "helpdesk": e.helpdesk,
            "ticket_id": e.ticket_id,
            "stage": e.stage,
            # The reason may quote the record: keep it storable and short.
            "reason": clean_line(e.reason, limit=MAX_REASON),
            "ticket_updated_at": e.ticket_updated_at,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for e in entries
    }
    if not rows:
        return
    insert = upsert(conn, quarantined)
    stmt = insert.on_conflict_do_update(
        index_elements=[quarantined.c.helpdesk, quarantined.c.ticket_id],
        set_={
            "stage": insert.excluded.stage,
            "reason": insert.excluded.reason,
            "ticket_updated_at": insert.excluded.ticket_updated_at,
            "last_seen_at": insert.excluded.last_seen_at,
            "times_seen": quarantined.c.times_seen + 1,
        },
    )
    for chunk in chunked(list(rows.values())):
        conn.execute(stmt, list(chunk))


def release(conn: Connection, tickets: Sequence[Ticket]) -> int:
    """Let out the quarantined tickets of which a version at least as new is recorded now;
    returns how many left. One query for a page with none quarantined (the usual page)."""
    newest: dict[tuple[str, str], datetime] = {}
    for t in tickets:
        key = (t.helpdesk, t.id)
        newest[key] = max(newest.get(key, t.updated_at), t.updated_at)
    q = quarantined.c
    leaving: list[tuple[str, str]] = []
    for chunk in chunked(sorted(newest)):
        rows = conn.execute(
            select(q.helpdesk, q.ticket_id, q.ticket_updated_at).where(
                tuple_(q.helpdesk, q.ticket_id).in_(chunk)
            )
        )
        leaving += [
            (helpdesk, ticket_id)
            for helpdesk, ticket_id, set_aside_at in rows
            if set_aside_at is None or set_aside_at <= newest[(helpdesk, ticket_id)]
        ]
    for chunk in chunked(leaving):
        conn.execute(
            delete(quarantined).where(
                or_(*(and_(q.helpdesk == h, q.ticket_id == i) for h, i in chunk))
            )
        )
    return len(leaving)


def listed(conn: Connection, limit: int) -> list[QuarantinedRecord]:
    """The quarantined tickets seen most recently first."""
    q = quarantined.c
    query = select(quarantined).order_by(q.last_seen_at.desc(), q.helpdesk, q.ticket_id)
    return [QuarantinedRecord(**row._mapping) for row in conn.execute(query.limit(limit))]


def counts(conn: Connection) -> dict[str, int]:
    """helpdesk -> tickets in quarantine."""
    q = quarantined.c
    query = select(q.helpdesk, func.count()).group_by(q.helpdesk)
    return {helpdesk: n for helpdesk, n in conn.execute(query)}


def ids(conn: Connection, helpdesk: str, ticket_ids: Iterable[str]) -> set[str]:
    """Which of these tickets are in quarantine."""
    q = quarantined.c
    found: set[str] = set()
    for chunk in chunked(sorted(set(ticket_ids))):
        query = select(q.ticket_id).where(q.helpdesk == helpdesk, q.ticket_id.in_(chunk))
        found.update(conn.execute(query).scalars())
    return found
