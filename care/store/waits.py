"""Waits: one row per wait the response SLA times (`care.domain.waits`), for the report.

A poll passes what it saw of each ticket of a page (`WaitObservation`): the wait running
then, or none, and whether the rules found it breached. Recording is idempotent (a page
read again, or by two workers at once, changes nothing more) and costs two statements
per chunk of tickets, never one per ticket.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, and_, bindparam, exists, select, update
from sqlalchemy.engine import Connection

from care.domain.waits import Wait
from care.store.schema import TicketWait
from care.store.sql import chunked, table_of, upsert

waits = table_of(TicketWait)


@dataclass(frozen=True, slots=True)
class WaitObservation:
    """What one poll saw of one ticket's waits."""

    helpdesk: str
    ticket_id: str
    group_id: str | None
    wait: Wait | None  # the wait running then (`care.domain.waits.current_wait`), or None
    breached: bool  # the rules found that wait past its target
    seen_at: datetime  # the ticket's updated_at


def record(conn: Connection, observations: Sequence[WaitObservation], now: datetime) -> None:
    """Record a page's observations (`Store.record_waits`).

    A wait observed is inserted once, `breached_at` = `now` the first time it is seen
    breached; the ticket's open waits that started before it end at `seen_at`. No wait
    observed: the open waits that started by `seen_at` end then. An older copy of a
    ticket (a page re-read out of order) never ends a later wait, nor starts a wait
    older than one already recorded.
    """
    latest: dict[tuple[str, str], WaitObservation] = {}
    for o in observations:  # a ticket twice in a page: its newest copy tells
        seen = latest.get((o.helpdesk, o.ticket_id))
        if seen is None or o.seen_at >= seen.seen_at:
            latest[(o.helpdesk, o.ticket_id)] = o
    # In one order: two workers recording the same page lock its rows in the same order.
    ordered = sorted(latest.values(), key=lambda o: (o.helpdesk, o.ticket_id))
    for chunk in chunked(ordered):
        conn.execute(_end_earlier(), [_end_row(o) for o in chunk])
        started = [_wait_row(o, now) for o in chunk if o.wait is not None]
        if started:
            conn.execute(_insert_once(conn), started)


def _end_row(o: WaitObservation) -> dict[str, Any]:
    # With a wait, the waits that began before it are over; without, those begun by then.
    before, inclusive = (o.wait.started_at, False) if o.wait else (o.seen_at, True)
    return {
        "h": o.helpdesk,
        "t": o.ticket_id,
        "before": before,
        "inclusive": inclusive,
        "seen_at": o.seen_at,
        "group": o.group_id,
    }


def _end_earlier() -> Any:
    w = waits.c
    before = bindparam("before", type_=w.started_at.type)
    began_by = (w.started_at < before) | (
        bindparam("inclusive", type_=Boolean()) & (w.started_at == before)
    )
    return (
        update(waits)
        .where(
            w.helpdesk == bindparam("h", type_=w.helpdesk.type),
            w.ticket_id == bindparam("t", type_=w.ticket_id.type),
            w.ended_at.is_(None),
            began_by,
        )
        .values(
            ended_at=bindparam("seen_at", type_=w.ended_at.type),
            end_group_id=bindparam("group", type_=w.end_group_id.type),
        )
    )


def _wait_row(o: WaitObservation, now: datetime) -> dict[str, Any]:
    assert o.wait is not None
    return {
        "h": o.helpdesk,
        "t": o.ticket_id,
        "started": o.wait.started_at,
        "kind": o.wait.kind.value,
        "group": o.group_id,
        "breached": now if o.breached else None,
    }


def _insert_once(conn: Connection) -> Any:
    """INSERT … SELECT unless a later wait of the ticket is recorded; ON CONFLICT only
    fills `breached_at` when it is empty."""
    w = waits.c
    helpdesk = bindparam("h", type_=w.helpdesk.type)
    ticket_id = bindparam("t", type_=w.ticket_id.type)
    started = bindparam("started", type_=w.started_at.type)
    later = exists().where(w.helpdesk == helpdesk, w.ticket_id == ticket_id, w.started_at > started)
    row = select(
        helpdesk,
        ticket_id,
        started,
        bindparam("kind", type_=w.kind.type),
        bindparam("group", type_=w.group_id.type),
        bindparam("breached", type_=w.breached_at.type),
    ).where(~later)
    insert = upsert(conn, waits).from_select(
        ["helpdesk", "ticket_id", "started_at", "kind", "group_id", "breached_at"], row
    )
    return insert.on_conflict_do_update(
        index_elements=[w.helpdesk, w.ticket_id, w.started_at],
        set_={"breached_at": insert.excluded.breached_at},
        where=and_(w.breached_at.is_(None), insert.excluded.breached_at.is_not(None)),
    )
