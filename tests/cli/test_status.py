"""`care status`: what the store knows, without a helpdesk or a credential; last, the
command after a real poll of the Zendesk sandbox through Prefect."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from care.status import collect_status, status_json
from care.status_text import print_status
from care.store import Store
from connectors.freshdesk.client import Window
from connectors.zendesk.sandbox import ZendeskSandbox
from tests.databases import temporary_database
from tests.flows.environment import configure, settled_past
from tests.ports import free_port
from tests.rules.builders import ticket
from tests.store.test_store_actions import action

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CARE = [sys.executable, "-m", "care"]


def care(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "care.toml"
    config.touch()
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CARE_CONFIG": str(config)}
    return subprocess.run(
        CARE + args, cwd=tmp_path, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with temporary_database(tmp_path) as url:
        yield url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    with Store.open(database_url) as s:
        yield s


def fill(store: Store) -> None:
    """Zendesk polled twice (the second poll failed); Freshdesk polled once; one action
    given up on, one applied."""
    store.poll_started("zendesk")
    store.save_cursor("zendesk", "MTcwMDAwMDAwMC4x", tickets=2)
    store.poll_failed("zendesk", "ConnectionFailed: no answer from https://acme.zendesk.com")
    store.upsert_snapshots(
        [
            ticket(id="1", updated_at=NOW - timedelta(hours=2)),
            ticket(id="2", updated_at=NOW - timedelta(minutes=30)),
        ],
        NOW,
    )
    since = Window("2026-03-02T09:00:00Z", 1, ("7",)).encode()
    store.save_cursor("freshdesk", since, tickets=1)
    store.upsert_snapshots([ticket(helpdesk="freshdesk", id="7", updated_at=NOW)], NOW)
    store.record_actions(
        [(action("1"), None), (action("2", rule="resolve.two_interactions"), "note")], NOW
    )
    tag, escalation = store.claim_pending("zendesk", "t")  # oldest first
    store.mark_applied([tag.id], NOW)
    store.mark_failed([escalation.id], "Zendesk: 422 ticket is closed", max_attempts=1)


def test_lag_is_read_from_freshdesk_s_cursor_and_zendesk_s_snapshots(store: Store) -> None:
    fill(store)
    status = collect_status(store, configured=("zendesk",), now=NOW)
    zendesk, freshdesk = status.helpdesks
    assert (zendesk.name, zendesk.configured) == ("zendesk", True)
    assert zendesk.read_up_to_from == "ticket snapshots"
    assert zendesk.lag == timedelta(minutes=30)
    assert zendesk.last_error == "ConnectionFailed: no answer from https://acme.zendesk.com"
    assert (freshdesk.name, freshdesk.configured) == ("freshdesk", False)  # known from the store
    assert freshdesk.read_up_to_from == "cursor"
    assert freshdesk.lag == timedelta(minutes=30)  # the cursor's since, not the snapshot's NOW


def test_json_document_has_stable_keys_and_iso_times(store: Store) -> None:
    fill(store)
    document = status_json(collect_status(store, configured=("zendesk", "freshdesk"), now=NOW))
    assert list(document) == [
        "generated_at",
        "database",
        "lag_means",
        "helpdesks",
        "surveys",
        "actions",
    ]
    assert document["generated_at"] == "2026-03-02T09:30:00+00:00"
    zendesk = document["helpdesks"][0]
    assert zendesk["cursor"] == "MTcwMDAwMDAwMC4x" and zendesk["lag_seconds"] == 1800
    assert datetime.fromisoformat(zendesk["last_poll_started_at"]).tzinfo is not None
    assert document["actions"]["by_rule"]["zendesk"] == {
        "assist.repeat_contact": {"applied": 1},
        "resolve.two_interactions": {"failed": 1},
    }
    (failed,) = document["actions"]["failed"]
    assert (failed["rule"], failed["state"], failed["last_error"]) == (
        "resolve.two_interactions",
        "failed",
        "Zendesk: 422 ticket is closed",
    )
    json.dumps(document)  # nothing that JSON cannot carry


def test_terminal_tables_show_lag_errors_and_never_polled_helpdesks(store: Store) -> None:
    fill(store)
    console = Console(record=True, width=200)
    print_status(console, collect_status(store, configured=("freshdesk", "zendesk"), now=NOW))
    text = console.export_text()
    assert "30 min" in text  # the lag
    assert "ConnectionFailed: no answer from https://acme.zendesk.com" in text
    assert "Zendesk: 422 ticket is closed" in text
    assert "resolve.two_interactions" in text


def test_a_configured_helpdesk_never_polled_says_so(database_url: str) -> None:
    with Store.open(database_url) as store:
        console = Console(record=True, width=200)
        print_status(console, collect_status(store, configured=("zendesk",), now=NOW))
    assert "never polled" in console.export_text()


def test_json_on_stdout_alone_with_no_credentials_on_a_fresh_database(
    tmp_path: Path, database_url: str
) -> None:
    result = care(
        ["status", "--json"],
        tmp_path,
        CARE_DATABASE_URL=database_url,  # migrated by this very command
        CARE_ZENDESK_URL="https://acme.zendesk.com",  # and no credential at all
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # the whole of stdout is the one document
    assert [h["name"] for h in document["helpdesks"]] == ["zendesk"]
    assert document["surveys"]["by_state"]["sent"] == 0


def test_an_unreachable_database_fails_on_stderr_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://care:s3cret-pw@127.0.0.1:{free_port()}/care"
    result = care(["status", "--json"], tmp_path, CARE_DATABASE_URL=url)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "cannot read the database" in result.stderr
    assert "s3cret-pw" not in result.stderr and "Traceback" not in result.stderr


@pytest.mark.usefixtures("prefect_server")
def test_status_after_a_real_poll_shows_the_cursor_actions_and_surveys(
    database_url, tmp_path, monkeypatch
):
    from flows.poll import poll_helpdesk  # imports Prefect: only this test needs it

    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        config = configure(monkeypatch, tmp_path, sandbox, database_url)
        summary = poll_helpdesk(helpdesk="zendesk")
    with Store.open(database_url) as store:
        cursor = store.cursor("zendesk")
    env = {  # no credential: status needs none
        "CARE_CONFIG": str(config),
        "CARE_DATABASE_URL": database_url,
        "CARE_ZENDESK_URL": "https://acme.zendesk.com",
    }

    result = care(["status", "--json"], tmp_path, **env)

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # stdout is the one JSON document, nothing else
    (zendesk,) = document["helpdesks"]
    assert zendesk["cursor"] == cursor and cursor
    assert zendesk["tickets_stored"] == 120 and zendesk["last_error"] is None
    assert zendesk["read_up_to_from"] == "ticket snapshots" and zendesk["lag_seconds"] >= 0
    by_rule = document["actions"]["by_rule"]["zendesk"]
    assert by_rule["resolve.two_interactions"]["applied"] >= 1
    recorded = sum(sum(states.values()) for states in by_rule.values())
    assert recorded == sum(summary.new_actions.values())
    surveys = document["surveys"]["by_state"]
    assert surveys["scheduled"] == summary.surveys_scheduled > 0
    assert 0 < document["surveys"]["due_now"] <= surveys["scheduled"]
    assert document["actions"]["recent"] and document["actions"]["failed"] == []

    table = care(["status"], tmp_path, **env)
    assert table.returncode == 0, table.stderr
    assert "resolve.two_interactions" in table.stdout and "Polling" in table.stdout
