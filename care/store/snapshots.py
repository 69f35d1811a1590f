"""Ticket snapshots: the latest state of every ticket seen, for context and reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from care.domain.model import CountedReplies, Previous, Status, Ticket
from care.store.schema import TicketSnapshot
from care.store.sql import chunked, table_of, upsert

snapshots = table_of(TicketSnapshot)
_KEY = ("helpdesk", "ticket_id")


def upsert_all(conn: Connection, tickets: Sequence[Ticket], seen_at: datetime) -> None:
    """Insert or update one page of tickets, one executemany per chunk.

    Snapshots only move forward: an older copy of a ticket (a page re-read out
    of order, a duplicate in the vendor's export) never overwrites a newer one.
    """
    if not tickets:
        return
    latest: dict[tuple[str, str], Ticket] = {}
    for t in tickets:  # one row per key: PostgreSQL refuses to update a row twice
        seen = latest.get((t.helpdesk, t.id))
        if seen is None or t.updated_at >= seen.updated_at:
            latest[(t.helpdesk, t.id)] = t
    rows = [_row(t, seen_at) for t in latest.values()]
    insert = upsert(conn, snapshots)
    s, new = snapshots.c, insert.excluded
    kept = (*_KEY, "first_reply_group_id")
    stmt = insert.on_conflict_do_update(
        index_elements=[s[k] for k in _KEY],
        set_={c.key: new[c.key] for c in s if c.key not in kept}
        # The group of the first answer is kept once known (`first_reply_group_id`).
        | {"first_reply_group_id": func.coalesce(s.first_reply_group_id, new.first_reply_group_id)},
        where=new.updated_at >= s.updated_at,
    )
    for chunk in chunked(rows):
        conn.execute(stmt, list(chunk))


def requester_ticket_times(
    conn: Connection, helpdesk: str, requester_ids: Iterable[str], since: datetime
) -> dict[str, list[tuple[str, datetime]]]:
    """requester id -> [(ticket id, created_at)] for tickets created at or after `since`.

    Every requested id is a key (an empty list when nothing matched); lists
    are in creation order.
    """
    wanted = sorted(set(requester_ids))
    times: dict[str, list[tuple[str, datetime]]] = {r: [] for r in wanted}
    s = snapshots.c
    for chunk in chunked(wanted):
        query = (
            select(s.requester_id, s.ticket_id, s.created_at)
            .where(s.helpdesk == helpdesk, s.requester_id.in_(chunk), s.created_at >= since)
            .order_by(s.requester_id, s.created_at, s.ticket_id)
        )
        for requester_id, ticket_id, created_at in conn.execute(query):
            times[requester_id].append((ticket_id, created_at))
    return times


def previous(conn: Connection, helpdesk: str, ticket_ids: Iterable[str]) -> dict[str, Previous]:
    """What the last poll stored of these tickets (those seen before)."""
    s = snapshots.c
    columns = (s.last_agent_reply_at, s.waiting_since, s.group_id, s.assignee_id)
    found: dict[str, Previous] = {}
    for chunk in chunked(sorted(set(ticket_ids))):
        query = select(s.ticket_id, *columns, s.group_hops, s.assignee_hops).where(
            s.helpdesk == helpdesk, s.ticket_id.in_(chunk)
        )
        found.update((row[0], Previous(*row[1:])) for row in conn.execute(query))
    return found


def reply_counts(
    conn: Connection, helpdesk: str, ticket_ids: Iterable[str]
) -> dict[str, CountedReplies]:
    """The agent reply counts stored with these tickets, and what they were counted up to."""
    s = snapshots.c
    columns = (s.last_agent_reply_at, s.last_requester_message_at, s.agent_replies, s.status)
    found: dict[str, CountedReplies] = {}
    for chunk in chunked(sorted(set(ticket_ids))):
        query = select(s.ticket_id, *columns).where(s.helpdesk == helpdesk, s.ticket_id.in_(chunk))
        for ticket_id, agent_at, requester_at, replies, status in conn.execute(query):
            found[ticket_id] = CountedReplies(agent_at, requester_at, replies, Status(status))
    return found


def _row(t: Ticket, seen_at: datetime) -> dict[str, Any]:
    return {
        "helpdesk": t.helpdesk,
        "ticket_id": t.id,
        "requester_id": t.requester.id,
        "requester_email": t.requester.email,
        "status": t.status.value,
        "priority": t.priority.value if t.priority else None,
        "group_id": t.group_id,
        "assignee_id": t.assignee_id,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
        "solved_at": t.solved_at,
        "last_agent_reply_at": t.last_agent_reply_at,
        "waiting_since": t.waiting_since,
        "last_requester_message_at": t.last_requester_message_at,
        "agent_replies": t.agent_replies,
        "first_agent_reply_at": t.first_agent_reply_at,
        "first_reply_group_id": t.group_id if t.first_agent_reply_at else None,
        "reopens": t.reopens,
        "group_hops": t.group_hops,
        "assignee_hops": t.assignee_hops,
        "tags": sorted(t.tags),
        "seen_at": seen_at,
    }
