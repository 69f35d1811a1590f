"""The retention history from a SQL query (the data contract: care/report/retention.py).

The URL comes from CARE_RETENTION_DATABASE_URL and may hold a password: no message here
shows it. A driver's error is given as its class and its first characters, with the URL
and its password taken out should the driver quote them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, quote_plus

from sqlalchemy import Connection, Engine, create_engine, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from care.report.retention import History, QuerySource, RetentionError, column_indexes
from care.settings.secrets import RETENTION_DATABASE_URL
from care.settings.urls import redact_url_passwords

ROWS_PER_FETCH = 10_000  # streamed: a server-side cursor where the driver has one
MAX_DRIVER_MESSAGE = 300  # characters of a driver's error kept


def read_query(source: QuerySource, history: History) -> None:
    """Runs the query once, adding each row to `history` as it arrives."""
    url = _url(source, history.source)
    secrets = _secrets_of(url, source)
    with (
        _engine(url, history.source) as engine,
        _errors_explained(secrets, history.source),
        engine.connect() as connection,
    ):
        _read_only(connection)
        streamed = connection.execution_options(yield_per=ROWS_PER_FETCH)
        result = streamed.exec_driver_sql(_as_driver_sql(source.query, connection))
        if not result.returns_rows:
            raise RetentionError(f"{history.source} returns no rows: it must be a SELECT")
        email, day, event = column_indexes(history.source, list(result.keys()))
        for row, cells in enumerate(result, start=1):
            history.add(row, cells[email], cells[day], cells[event])
        connection.rollback()  # nothing to keep, whatever the query did


def _url(source: QuerySource, name: str) -> URL:
    if source.database_url is None:
        raise RetentionError(
            f"{name}: {RETENTION_DATABASE_URL} is not set: set it to the SQLAlchemy URL of "
            "the database the query reads (e.g. postgresql+psycopg://reader@db/shop)"
        )
    try:
        return make_url(source.database_url.get_secret_value())
    except ArgumentError:
        raise RetentionError(
            f"{name}: {RETENTION_DATABASE_URL} is not a SQLAlchemy URL "
            "(e.g. postgresql+psycopg://reader@db/shop)"
        ) from None


@contextmanager
def _engine(url: URL, name: str) -> Iterator[Engine]:
    try:
        engine = create_engine(url, poolclass=NullPool)
    except (NoSuchModuleError, ImportError):
        raise RetentionError(
            f"{name}: {RETENTION_DATABASE_URL} names the database driver "
            f"{url.drivername}, which is not installed"
        ) from None
    except ArgumentError:  # its message quotes the URL
        raise RetentionError(
            f"{name}: {RETENTION_DATABASE_URL} is not a URL {url.drivername} accepts"
        ) from None
    try:
        yield engine
    finally:
        engine.dispose()


def _as_driver_sql(query: str, connection: Connection) -> str:
    """The query as written, for a driver whose placeholders are %s (psycopg) too: it
    is sent with no parameters, so a `%` in it (LIKE 'a%') is a percent sign."""
    if connection.dialect.paramstyle in ("format", "pyformat"):
        return query.replace("%", "%%")
    return query


def _read_only(connection: Connection) -> None:
    """The transaction made read-only where the database can say so."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    elif dialect == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")


def _secrets_of(url: URL, source: QuerySource) -> list[str]:
    """What a driver's message must not show: the URL as set and as rendered, the
    password as written and as decoded, longest first."""
    given = source.database_url.get_secret_value() if source.database_url else ""
    rendered = url.render_as_string(hide_password=False)
    password = str(url.password or "")
    found = {given, rendered, password, quote_plus(password), quote(password, safe="")}
    return sorted((secret for secret in found if secret), key=len, reverse=True)


@contextmanager
def _errors_explained(secrets: list[str], name: str) -> Iterator[None]:
    """A database error as a `RetentionError`: its class and message, never the URL. Any
    error a driver raises is taken, not only SQLAlchemy's: whatever it quotes is scrubbed."""
    try:
        yield
    except RetentionError:
        raise
    except Exception as exc:
        error = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        message = _without(str(error), secrets)
        raise RetentionError(
            f"{name} failed: {type(error).__name__}: {message or 'no message'}"
        ) from None


def _without(message: str, secrets: list[str]) -> str:
    """`message` on one line, cut, with `secrets` and any user:password@ taken out."""
    for secret in secrets:
        message = message.replace(secret, "***")
    message = re.sub(r"\s+", " ", redact_url_passwords(message)).strip()
    if len(message) > MAX_DRIVER_MESSAGE:
        return message[: MAX_DRIVER_MESSAGE - 1].rstrip() + "…"
    return message
