"""Throwaway PostgreSQL schemas and databases for tests (CARE_TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, create_engine, make_url, text

PG_URL = os.environ.get("CARE_TEST_DATABASE_URL")


def _pg_admin_url() -> URL:
    assert PG_URL
    url = make_url(PG_URL)
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


@contextmanager
def temporary_database(tmp_path: Path) -> Iterator[str]:
    """SQLite by default; the PostgreSQL of CARE_TEST_DATABASE_URL in a schema of its own."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'care.db'}"
        return
    with postgresql_schema() as url:
        yield url


@contextmanager
def postgresql_schema() -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema."""
    name = f"care_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        url = _pg_admin_url().update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@contextmanager
def postgresql_database() -> Iterator[str]:
    """A URL to a brand-new, empty database."""
    name = f"care_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield _pg_admin_url().set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
