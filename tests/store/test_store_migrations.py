from __future__ import annotations

import multiprocessing
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from care.store import Store, StoreError
from care.store.database import alembic_config
from care.store.schema import Base

TABLES = {
    "sync_cursors",
    "ticket_snapshots",
    "action_log",
    "survey_outbox",
    "requester_accounts",
    "survey_answers",
    "survey_opt_outs",
    "quarantined_tickets",
    "local_keys",
    "ticket_waits",
    "error_events",
    "outreach",
}
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_open_migrates_a_fresh_database_to_head(store_url: str) -> None:
    with Store.open(store_url) as store:
        assert store.cursor("zendesk") is None
    engine = create_engine(store_url)
    try:
        assert set(inspect(engine).get_table_names()) == {*TABLES, "alembic_version"}
    finally:
        engine.dispose()
    assert HEAD == "0013"
    assert _revision(store_url) == HEAD


def test_second_open_is_a_no_op_and_keeps_data(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(store_url) as store:
        store.save_cursor("zendesk", "c-1", tickets=3)

    def no_upgrade(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a database at head must not be migrated again")

    monkeypatch.setattr(command, "upgrade", no_upgrade)
    with Store.open(store_url) as store:
        assert store.cursor("zendesk") == "c-1"


# SQLite cannot reflect the expression index on lower(requester_email): skipped there.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_models_match_the_migrations(store: Store, store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_database_migrated_by_a_newer_release_is_refused(store: Store, store_url: str) -> None:
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    with pytest.raises(StoreError, match=r"revision 9999.*upgrade care"):
        Store.open(store_url)


def test_relative_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.open("sqlite:///data/care.db") as store:
        store.save_cursor("zendesk", "c-1", tickets=1)
    assert (tmp_path / "data" / "care.db").is_file()
    with Store.open("sqlite:///data/care.db") as store:
        assert store.cursor("zendesk") == "c-1"


def test_url_for_display_masks_the_password() -> None:
    store = Store(create_engine("postgresql+psycopg://care:s3cret@db.example:5432/care"))
    assert store.url_for_display == "postgresql+psycopg://care:***@db.example:5432/care"


def test_unsupported_database_is_named() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        Store.open("mysql://care@localhost/care")


def _open_at_once(url: str, barrier: Any, results: Any) -> None:
    try:
        barrier.wait(timeout=30)
        with Store.open(url) as store:
            store.poll_started("zendesk")
        results.put("ok")
    except BaseException:  # report anything back to the parent, traceback included
        results.put(traceback.format_exc())


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method"
)
def test_processes_opening_a_fresh_database_at_once_all_succeed(fresh_database_url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    n = 3
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_open_at_once, args=(fresh_database_url, barrier, results))
        for _ in range(n)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert outcomes == ["ok"] * n
    assert _revision(fresh_database_url) == HEAD
    with Store.open(fresh_database_url) as store:
        info = store.cursor_info("zendesk")
    assert info is not None
    assert info.last_poll_started_at is not None
    assert info.last_poll_started_at <= datetime.now(UTC)


def test_a_plain_postgresql_url_means_psycopg(backend: str, store_url: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    plain = store_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with Store.open(plain) as store:
        store.save_cursor("zendesk", "c-1", tickets=1)
        assert store.url_for_display.startswith("postgresql+psycopg://")
