"""End-to-end fixtures: a store per test, and no mail leaving the machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import temporary_database


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with temporary_database(tmp_path) as url:
        yield url


@pytest.fixture(autouse=True)
def no_outside_mail_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Mail goes to the test's own SMTP server or the outbox folder, never elsewhere."""
    for name in ("CARE_SMTP_HOST", "CARE_SMTP_PORT", "CARE_SMTP_USER", "CARE_SMTP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
