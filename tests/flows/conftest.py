"""End-to-end fixtures: a store per test, and no mail leaving the machine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandboxes.zendesk import ZendeskSandbox
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


@pytest.fixture
def surveys_due_sandbox(database_url, tmp_path, monkeypatch) -> Iterator[ZendeskSandbox]:
    """A Zendesk sandbox CARE is pointed at, polled once: its surveys scheduled and due."""
    from flows.poll import poll_helpdesk
    from tests.flows.environment import configure, settled_past

    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5, now=settled_past()) as running:
        configure(monkeypatch, tmp_path, running, database_url)
        poll_helpdesk(helpdesk="zendesk")
        yield running
