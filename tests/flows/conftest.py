"""End-to-end fixtures: one Prefect test server per session, a sandbox and a store per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import temporary_database

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with temporary_database(tmp_path) as url:
        yield url


@pytest.fixture(autouse=True)
def no_outside_mail_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mail goes to the test's own SMTP server or the outbox folder, never elsewhere."""
    for name in ("CARE_SMTP_HOST", "CARE_SMTP_PORT", "CARE_SMTP_USER", "CARE_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
