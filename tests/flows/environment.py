"""Pointing CARE at a sandbox, a database and a mail server for one test."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sandboxes.zendesk import ZendeskSandbox


def configure(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: ZendeskSandbox,
    database_url: str,
    toml: str = "",
) -> Path:
    config = tmp_path / "care.toml"
    config.write_text(
        toml + f'\n[survey]\noutbox_dir = "{(tmp_path / "outbox").as_posix()}"\n'
        'sender = "Acme Support <support@acme.example>"\n',
        encoding="utf-8",
    )
    env = {
        "CARE_CONFIG": str(config),
        "CARE_DATABASE_URL": database_url,
        "CARE_ZENDESK_URL": sandbox.url,
        "CARE_ZENDESK_CLIENT_ID": sandbox.client_id,
        "CARE_ZENDESK_CLIENT_SECRET": sandbox.client_secret,
        "CARE_SURVEY_SECRET": "test-signing-key-0123456789abcdef",
        "CARE_SURVEY_BASE_URL": "https://survey.acme.example",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("CARE_ZENDESK_OAUTH_TOKEN", "CARE_ZENDESK_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return config


def configure_freshdesk(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox, database_url: str, toml: str = ""
) -> None:
    config = tmp_path / "care.toml"
    config.write_text(toml, encoding="utf-8")
    for name, value in {
        "CARE_CONFIG": str(config),
        "CARE_DATABASE_URL": database_url,
        "CARE_FRESHDESK_URL": sandbox.url,
        "CARE_FRESHDESK_API_KEY": sandbox.api_key,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CARE_ZENDESK_URL", raising=False)


def settled_past() -> datetime:
    """A sandbox anchor ten minutes back: the scenario tickets the seed puts a minute from
    an SLA boundary are then past it for the whole test, not crossing it between polls."""
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)


def update_calls(sandbox: ZendeskSandbox) -> int:
    return sum(
        1 for method, path in sandbox.requests_log if method == "PUT" and "update_many" in path
    )


def care_notes(sandbox: ZendeskSandbox, ticket_id: int) -> list[str]:
    return [c["body"] for c in sandbox.comments(ticket_id) if c["body"].startswith("[CARE]")]


def run_care(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`care <args>` as an operator runs it, with this test's CARE_* settings and Prefect."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if k.startswith("CARE_")}
    env |= {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    env |= {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "PREFECT_LOGGING_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "-m", "care", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
