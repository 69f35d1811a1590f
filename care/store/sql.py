"""Statements the table modules share: dialect upserts, chunking, and claiming.

Only SQLite and PostgreSQL are supported: both speak `INSERT … ON CONFLICT`,
`WITH … UPDATE … RETURNING`, which is all the store needs to stay bulk and
race-free.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Row, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase

T = TypeVar("T")

# Rows per executemany batch and ids per IN list: an IN list binds one parameter
# per id, and SQLite allows 32766 per statement (PostgreSQL 65535).
CHUNK_ROWS = 500

Insert = postgresql.Insert | sqlite.Insert


def table_of(model: type[DeclarativeBase]) -> Table:
    return cast(Table, model.__table__)


def upsert(conn: Connection, table: Table) -> Insert:
    """An INSERT that knows ON CONFLICT, in the connection's dialect."""
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"the CARE store supports SQLite and PostgreSQL, not {name}")


def bindable(text: str) -> bool:
    """Whether both databases take `text` as a parameter: no driver encodes a lone
    surrogate, and PostgreSQL refuses NUL. A lookup by a value that could never have
    been stored matches nothing, so it is left out rather than fail the query."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\0" not in text


def chunked(items: Sequence[T], size: int = CHUNK_ROWS) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def claim(
    conn: Connection,
    table: Table,
    claimable: ColumnElement[bool],
    order_by: Sequence[ColumnElement[Any]],
    limit: int | None,
    values: Mapping[str, Any],
) -> list[Row[Any]]:
    """Move claimable rows to a claimed state in one statement and return them.

    PostgreSQL: the subquery locks its rows FOR UPDATE SKIP LOCKED, so two
    claimers running at once take disjoint sets without waiting on each other;
    the outer WHERE repeats the condition for rows changed since the snapshot.
    SQLite: every store transaction begins IMMEDIATE (one writer at a time),
    so the single UPDATE is atomic; FOR UPDATE is not rendered there.
    """
    picked = (
        select(table.c.id)
        .where(claimable)
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        # Evaluated once: as a plain `IN (subquery)` PostgreSQL may rescan the
        # SKIP LOCKED subquery and update more rows than the limit.
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    stmt = (
        update(table)
        .where(table.c.id.in_(select(picked.c.id)), claimable)
        .values(**values)
        .returning(*table.c)
    )
    return list(conn.execute(stmt).all())  # RETURNING has no order: callers sort
