"""Requester account creation times, cached per helpdesk (one contact look-up ever)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from care.store.schema import RequesterAccount
from care.store.sql import chunked, table_of, upsert

accounts = table_of(RequesterAccount)


def created_at(
    conn: Connection, helpdesk: str, requester_ids: Iterable[str]
) -> dict[str, datetime | None]:
    """requester id -> account creation time, for the requesters looked up before."""
    a = accounts.c
    found: dict[str, datetime | None] = {}
    for chunk in chunked(sorted(set(requester_ids))):
        query = select(a.requester_id, a.created_at).where(
            a.helpdesk == helpdesk, a.requester_id.in_(chunk)
        )
        found.update((rid, created) for rid, created in conn.execute(query))
    return found


def remember(
    conn: Connection, helpdesk: str, created: Mapping[str, datetime | None], now: datetime
) -> None:
    if not created:
        return
    insert = upsert(conn, accounts)
    stmt = insert.on_conflict_do_update(
        index_elements=[accounts.c.helpdesk, accounts.c.requester_id],
        set_={"created_at": insert.excluded.created_at, "fetched_at": insert.excluded.fetched_at},
    )
    rows = [
        {"helpdesk": helpdesk, "requester_id": rid, "created_at": when, "fetched_at": now}
        for rid, when in created.items()
    ]
    for chunk in chunked(rows):
        conn.execute(stmt, list(chunk))
