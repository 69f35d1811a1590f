"""Secrets this installation keeps for itself (`local_keys`), made by migration 0008."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.engine import Connection

from care.store.base import now_utc
from care.store.schema import LocalKey
from care.store.sql import table_of, upsert

keys = table_of(LocalKey)
NOTE_REFS = "note_refs"


def secret(conn: Connection, name: str) -> bytes:
    """The named secret; made now if a database lost its row (first writer wins)."""
    found = conn.execute(select(keys.c.secret).where(keys.c.name == name)).scalar_one_or_none()
    if found is None:
        row = {"name": name, "secret": secrets.token_hex(32), "created_at": now_utc()}
        conn.execute(upsert(conn, keys).values(row).on_conflict_do_nothing())
        found = conn.execute(select(keys.c.secret).where(keys.c.name == name)).scalar_one()
    return bytes.fromhex(found)
