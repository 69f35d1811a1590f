"""`Store.open_read_only` (`care status`): reads what is there, creates and migrates nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from care.store import Store, StoreError
from care.store.database import NotInitialised, alembic_config

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "care.db"
    with pytest.raises(NotInitialised, match="no CARE run has used this database yet"):
        Store.open_read_only(f"sqlite:///{path}")
    assert not path.exists() and not path.parent.exists()


def test_an_empty_database_is_left_empty(store_url: str) -> None:
    with pytest.raises(NotInitialised, match="no CARE run has used this database yet"):
        Store.open_read_only(store_url)
    assert _tables(store_url) == set()  # not even alembic_version


def test_a_brand_new_database_is_left_empty(fresh_database_url: str) -> None:
    with pytest.raises(NotInitialised):
        Store.open_read_only(fresh_database_url)
    if fresh_database_url.startswith("sqlite"):
        assert not Path(fresh_database_url.removeprefix("sqlite:///")).exists()
    else:
        assert _tables(fresh_database_url) == set()


def test_a_database_a_care_run_used_is_read(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.save_cursor("zendesk", "c-1", tickets=3)
    with Store.open_read_only(store_url) as store:
        assert store.cursor("zendesk") == "c-1"
        assert store.overview(NOW).cursors["zendesk"].tickets_seen == 3


def test_the_database_refuses_a_write_on_a_read_only_store(store_url: str) -> None:
    with Store.open(store_url) as store:
        store.save_cursor("zendesk", "c-1", tickets=3)
    with Store.open_read_only(store_url) as store, pytest.raises(SQLAlchemyError):
        store.save_cursor("zendesk", "c-2", tickets=1)
    with Store.open(store_url) as store:
        assert store.cursor("zendesk") == "c-1"


def test_an_older_schema_is_named_and_not_migrated(store_url: str) -> None:
    config = alembic_config(store_url)
    command.upgrade(config, "0004")
    with pytest.raises(StoreError, match=r"revision 0004, not \d{4}: the next poll"):
        Store.open_read_only(store_url)
    assert "retry_at" not in {c["name"] for c in _columns(store_url, "action_log")}


def _columns(url: str, table: str) -> list[dict]:
    engine = create_engine(url)
    try:
        return list(inspect(engine).get_columns(table))
    finally:
        engine.dispose()
