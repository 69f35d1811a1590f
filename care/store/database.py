"""Connecting: an engine for a URL, set up for its backend, with the schema at head.

SQLite gets WAL mode, a busy timeout and BEGIN IMMEDIATE transactions; a bare
`postgresql://` URL gets psycopg 3. Alembic runs in code, from the migrations
folder inside the package, so an installed CARE migrates without an alembic.ini.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL, Connection

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# Key of the PostgreSQL advisory lock held while migrating (any constant will do,
# as long as every CARE process uses the same one): "CARE" in ASCII.
MIGRATION_LOCK = 0x43415245
SQLITE_BUSY_TIMEOUT_S = 30
_BEGIN_MODE = "care_sqlite_begin"  # execution option read by `_sqlite_on_begin`


class StoreError(RuntimeError):
    """The database cannot be used as is; the message says what to do."""


class NotInitialised(StoreError):
    """No CARE command has created the schema in this database yet (read-only opening)."""


def alembic_config(url: str | None = None) -> Config:
    """Alembic settings in code: works from a checkout and an installed package alike.

    With `url`, the config also suits hand use, e.g. from a Python shell:
    `command.revision(alembic_config(url), "add x", autogenerate=True)`.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def open_engine(url: str) -> Engine:
    """An engine for `url` with the schema at head; disposed again if migrating fails."""
    engine = _create_engine(url)
    try:
        _upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def open_engine_read_only(url: str) -> Engine:
    """An engine that only reads, for `care status`: it creates nothing (not even a missing
    SQLite file or its folder), migrates nothing, and the database refuses writes on it.

    Raises `NotInitialised` when no CARE command has used the database yet, and
    `StoreError` when its schema is at another revision than this release's head.
    """
    engine = _create_read_only_engine(url)
    try:
        current, heads = schema_revisions(engine)
    except BaseException:
        engine.dispose()
        raise
    if current != heads:
        engine.dispose()
        if not current:
            raise NotInitialised("no CARE run has used this database yet")
        behind = current <= known_revisions()
        raise StoreError(
            f"the database schema is at revision {', '.join(sorted(current))}, not "
            f"{', '.join(sorted(heads))}: "
            + (
                "the next poll (or any other care command) brings it up to date; "
                "reading commands leave it as it is"
                if behind
                else "a newer release migrated it; upgrade care"
            )
        )
    return engine


def engine_as_is(url: str) -> Engine:
    """An engine set up like `open_engine`'s that leaves the schema as it is (`care check`)."""
    return _create_engine(url)


def schema_revisions(engine: Engine) -> tuple[set[str], set[str]]:
    """(the revisions the database is at, this release's heads), read without migrating;
    an empty first set: a database CARE has not migrated yet."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with read_connection(engine) as conn:
        return set(MigrationContext.configure(conn).get_current_heads()), heads


def known_revisions() -> set[str]:
    """Every revision this release can migrate from."""
    return {rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def error_line(exc: BaseException) -> str:
    """A database error in one line, for users: the driver's first line, without the
    statement and help link SQLAlchemy appends (and never the URL's password)."""
    cause = getattr(exc, "orig", None) or exc
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0]


def read_connection(engine: Engine) -> Connection:
    """A connection for reading only. On SQLite its transaction begins DEFERRED,
    so readers never queue behind a writer (WAL lets them read alongside)."""
    return engine.connect().execution_options(**{_BEGIN_MODE: "DEFERRED"})


def _create_engine(url: str) -> Engine:
    parsed = _normalise(make_url(url))
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    if backend != "sqlite":
        raise StoreError(f"unsupported database {backend!r}: use a sqlite:/// or postgresql:// URL")
    if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _create_read_only_engine(url: str) -> Engine:
    parsed = _normalise(make_url(url))
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        engine = create_engine(parsed, pool_pre_ping=True)
        event.listen(engine, "connect", _postgresql_read_only)
        return engine
    if backend != "sqlite":
        raise StoreError(f"unsupported database {backend!r}: use a sqlite:/// or postgresql:// URL")
    database = parsed.database or ":memory:"
    if database == ":memory:" or parsed.query.get("uri"):
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    else:
        path = Path(database).resolve()
        if not path.is_file():
            raise NotInitialised("no CARE run has used this database yet (there is no such file)")
        # mode=rw: the file must exist; sqlite3 would otherwise create an empty one.
        address = f"file:{quote(path.as_posix())}?mode=rw"

        def connect() -> sqlite3.Connection:
            return sqlite3.connect(address, uri=True, timeout=SQLITE_BUSY_TIMEOUT_S)

        engine = create_engine(parsed, creator=connect)
    event.listen(engine, "connect", _sqlite_read_only)
    event.listen(engine, "begin", _sqlite_begin_deferred)
    return engine


def _normalise(url: URL) -> URL:
    """`postgres://` and `postgresql://` mean psycopg 3, the driver we ship."""
    if url.drivername in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # Take transaction control from the sqlite3 module (it would not BEGIN before
    # DDL or SELECT); `_sqlite_on_begin` issues our own BEGIN.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    _use_wal(dbapi_connection)


def _sqlite_read_only(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # No WAL switch here: that would write to the file. query_only makes SQLite
    # refuse any write on this connection.
    dbapi_connection.isolation_level = None
    dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    dbapi_connection.execute("PRAGMA query_only=ON")


def _sqlite_begin_deferred(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN DEFERRED")  # a reader never takes the write lock


def _postgresql_read_only(dbapi_connection: Any, _record: Any) -> None:
    # psycopg 3: every transaction on this connection is READ ONLY.
    dbapi_connection.read_only = True


def _use_wal(dbapi_connection: sqlite3.Connection) -> None:
    """Readers and one writer side by side. The mode is stored in the file, so
    only the first connection to a new database switches it; processes racing
    to do so can get "database is locked" without the busy handler being
    consulted, hence the retry."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _sqlite_on_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: writers queue on busy_timeout
    # instead of failing with SQLITE_BUSY when a read transaction upgrades,
    # and a read-then-update (claims, migrations) is atomic.
    mode = conn.get_execution_options().get(_BEGIN_MODE, "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _upgrade(engine: Engine) -> None:
    """Bring the schema to head; concurrent callers migrate once, the others wait."""
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    with read_connection(engine) as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    if current == heads:
        return  # the common case: no lock, no migration
    known = {rev.revision for rev in script.walk_revisions()}
    if unknown := current - known:
        raise StoreError(
            f"the database schema is at revision {', '.join(sorted(unknown))}, which this "
            "version of care does not know: a newer release migrated it; upgrade care"
        )
    with engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE is the migration lock
        if conn.dialect.name == "postgresql":
            # Released at commit; a process that waited finds the schema at head.
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
