"""`care status` after a real poll of the Zendesk sandbox through Prefect."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from care.store import Store
from connectors.zendesk.sandbox import ZendeskSandbox
from flows.poll import poll_helpdesk
from tests.flows.environment import configure, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")


def care_status(args: list[str], tmp_path: Path, config: Path, database_url: str):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CARE_CONFIG": str(config),
        "CARE_DATABASE_URL": database_url,
        "CARE_ZENDESK_URL": "https://acme.zendesk.com",  # no credential: status needs none
    }
    return subprocess.run(
        [sys.executable, "-m", "care", "status", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_status_after_a_poll_shows_the_cursor_actions_and_surveys(
    database_url, tmp_path, monkeypatch
):
    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        config = configure(monkeypatch, tmp_path, sandbox, database_url)
        summary = poll_helpdesk(helpdesk="zendesk")
    with Store.open(database_url) as store:
        cursor = store.cursor("zendesk")

    result = care_status(["--json"], tmp_path, config, database_url)

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # stdout is the one JSON document, nothing else
    (zendesk,) = document["helpdesks"]
    assert zendesk["cursor"] == cursor and cursor
    assert zendesk["tickets_stored"] == 120 and zendesk["last_error"] is None
    assert zendesk["read_up_to_from"] == "ticket snapshots" and zendesk["lag_seconds"] >= 0
    by_rule = document["actions"]["by_rule"]["zendesk"]
    assert by_rule["resolve.two_interactions"]["applied"] >= 1
    assert sum(sum(states.values()) for states in by_rule.values()) == sum(
        summary.new_actions.values()
    )
    surveys = document["surveys"]["by_state"]
    assert surveys["scheduled"] == summary.surveys_scheduled > 0
    assert 0 < document["surveys"]["due_now"] <= surveys["scheduled"]
    assert document["actions"]["recent"] and document["actions"]["failed"] == []

    table = care_status([], tmp_path, config, database_url)
    assert table.returncode == 0, table.stderr
    assert "resolve.two_interactions" in table.stdout and "Polling" in table.stdout
