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
from sqlalchemy import create_engine, inspect

from care.app.status import collect_status, status_json
from care.app.status_text import print_status
from care.store import Store
from connectors.freshdesk.client import Window
from sandboxes.zendesk import ZendeskSandbox
from tests.databases import temporary_database
from tests.flows.environment import care_notes, configure, settled_past
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
    store.save_cursor("zendesk", "MTcwMDAwMDAwMC4x", tickets=2, end_of_stream=True)
    store.poll_started("zendesk")
    store.poll_failed("zendesk", "ConnectionFailed: no answer from https://acme.zendesk.com")
    store.upsert_snapshots(
        [
            ticket(id="1", updated_at=NOW - timedelta(hours=2)),
            ticket(id="2", updated_at=NOW - timedelta(minutes=30)),
        ],
        NOW,
    )
    since = Window("2026-03-02T09:00:00Z", 1, ("7",)).encode()
    store.poll_started("freshdesk")
    store.save_cursor("freshdesk", since, tickets=1, end_of_stream=True)
    store.upsert_snapshots([ticket(helpdesk="freshdesk", id="7", updated_at=NOW)], NOW)
    store.record_actions(
        [(action("1"), None), (action("2", rule="resolve.two_interactions"), "note")], NOW
    )
    tag, escalation = store.claim_pending("zendesk", "t")  # oldest first
    store.mark_applied([tag.id], NOW)
    store.mark_failed([escalation.id], "Zendesk: 422 ticket is closed", max_attempts=1)


def shown(moment: datetime) -> str:
    """A time as the terminal prints it: ISO 8601, whole seconds, with its offset."""
    return moment.isoformat(timespec="seconds")


def later() -> datetime:
    """A status taken a minute after `fill`, which writes at the real time."""
    return datetime.now(UTC) + timedelta(minutes=1)


def terminal(store: Store, configured: tuple[str, ...], now: datetime, width: int = 200) -> str:
    console = Console(record=True, width=width)
    print_status(console, collect_status(store, configured=configured, now=now))
    return console.export_text()


def test_newest_change_is_read_from_freshdesk_s_cursor_and_zendesk_s_snapshots(
    store: Store,
) -> None:
    fill(store)
    status = collect_status(store, configured=("zendesk",), now=later())
    zendesk, freshdesk = status.helpdesks
    assert (zendesk.name, zendesk.configured) == ("zendesk", True)
    assert zendesk.read_up_to_from == "ticket snapshots"
    assert zendesk.read_up_to == NOW - timedelta(minutes=30)
    assert zendesk.last_error == "ConnectionFailed: no answer from https://acme.zendesk.com"
    assert (freshdesk.name, freshdesk.configured) == ("freshdesk", False)  # known from the store
    assert freshdesk.read_up_to_from == "cursor"
    assert freshdesk.read_up_to == NOW - timedelta(minutes=30)  # the cursor's since


def test_a_quiet_helpdesk_is_up_to_date_as_of_its_last_poll_however_old_its_newest_change(
    store: Store,
) -> None:
    store.poll_started("zendesk")
    store.upsert_snapshots([ticket(id="1", updated_at=NOW - timedelta(days=40))], NOW)
    store.save_cursor("zendesk", "c-1", tickets=1, end_of_stream=True)
    polled = store.cursor_info("zendesk")
    assert polled is not None and polled.caught_up_at is not None
    now = polled.caught_up_at + timedelta(minutes=4)

    (zendesk,) = collect_status(store, configured=("zendesk",), now=now).helpdesks
    assert zendesk.state == "up_to_date"
    assert zendesk.up_to_date_as_of == polled.caught_up_at
    assert zendesk.lag == timedelta(minutes=4)  # not 40 days: nothing changed since
    text = terminal(store, ("zendesk",), now)
    assert f"zendesk: up to date as of {shown(polled.caught_up_at)} (4 min ago)" in text
    assert f"newest change read: {shown(NOW - timedelta(days=40))}" in text
    assert "days" not in text
    document = status_json(collect_status(store, configured=("zendesk",), now=now))
    (entry,) = document["helpdesks"]
    assert entry["state"] == "up_to_date" and entry["lag_seconds"] == 240
    assert entry["up_to_date_as_of"] == entry["last_successful_poll_at"]
    assert entry["up_to_date_as_of"] == polled.caught_up_at.isoformat()


def test_a_failed_or_unfinished_poll_is_not_up_to_date(store: Store) -> None:
    store.poll_started("zendesk")
    store.save_cursor("zendesk", "c-1", tickets=5, end_of_stream=True)
    good = store.cursor_info("zendesk")
    assert good is not None and good.caught_up_at is not None
    store.poll_started("zendesk")
    store.save_cursor("zendesk", "c-2", tickets=100)  # page 1 of more

    (running,) = collect_status(store, configured=("zendesk",), now=later()).helpdesks
    assert running.state == "unfinished" and running.up_to_date_as_of is None
    text = terminal(store, ("zendesk",), later())
    assert "has not read to the end of the changes yet" in text
    assert f"last up to date: {shown(good.caught_up_at)}" in text

    store.poll_failed("zendesk", "ServerError: GET /api/v2/incremental → 500")
    (failed,) = collect_status(store, configured=("zendesk",), now=later()).helpdesks
    assert failed.state == "failed" and failed.up_to_date_as_of is None
    text = terminal(store, ("zendesk",), later())
    assert "zendesk: last poll failed at" in text and "up to date as of" not in text
    assert "error: ServerError: GET /api/v2/incremental → 500" in text


def test_last_page_saved_is_said_only_when_a_page_of_tickets_was_saved(store: Store) -> None:
    store.poll_started("zendesk")
    store.poll_failed("zendesk", "ServerError: 500")  # failed before any page
    assert "last page saved" not in terminal(store, ("zendesk",), later())

    store.poll_started("zendesk")
    store.save_cursor("zendesk", "c-1", tickets=0, end_of_stream=True)  # read nothing
    text = terminal(store, ("zendesk",), later())
    assert "last page saved" not in text and "pages saved: none with tickets yet" in text

    store.poll_started("zendesk")
    store.save_cursor("zendesk", "c-2", tickets=3, end_of_stream=True)
    info = store.cursor_info("zendesk")
    assert info is not None and info.last_page_saved_at is not None
    text = terminal(store, ("zendesk",), later())
    assert f"last page saved: {shown(info.last_page_saved_at)}" in text


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
        "quarantined",
        "outreach",
    ]
    assert document["outreach"] == {"error_events": {"new": 0}, "contacts": {}}
    assert document["generated_at"] == "2026-03-02T09:30:00+00:00"
    zendesk = document["helpdesks"][0]
    assert {
        "name",
        "configured",
        "cursor",
        "read_up_to",
        "read_up_to_from",
        "lag_seconds",
        "last_poll_started_at",
        "last_poll_finished_at",
        "last_error",
        "tickets_seen",
        "tickets_stored",
    } <= set(zendesk)  # the keys of the first release, all still there
    assert zendesk["cursor"] == "MTcwMDAwMDAwMC4x" and zendesk["state"] == "failed"
    assert zendesk["read_up_to"] == "2026-03-02T09:00:00+00:00"
    assert datetime.fromisoformat(zendesk["last_poll_started_at"]).tzinfo is not None
    assert document["actions"]["by_rule"]["zendesk"] == {
        "assist.repeat_contact": {"applied": 1},
        "resolve.two_interactions": {"failed": 1},
    }
    (failed,) = document["actions"]["failed"]
    assert (failed["rule"], failed["state"], failed["last_error"], failed["retry_at"]) == (
        "resolve.two_interactions",
        "failed",
        "Zendesk: 422 ticket is closed",
        None,  # given up
    )
    json.dumps(document)  # nothing that JSON cannot carry


def test_terminal_shows_errors_and_never_polled_helpdesks(store: Store) -> None:
    fill(store)
    text = terminal(store, ("freshdesk", "zendesk"), later())
    assert "ConnectionFailed: no answer from https://acme.zendesk.com" in text
    assert "Zendesk: 422 ticket is closed" in text
    assert "given up after 1 attempt" in text
    assert "resolve.two_interactions" in text


def test_a_failing_action_shows_when_it_is_retried(store: Store) -> None:
    store.record_actions([(action("1", rule="resolve.two_interactions"), "note")], NOW)
    (refused,) = store.claim_pending("zendesk", "run", now=NOW)
    store.mark_failed([refused.id], "ServerError: PUT update_many → 500", now=NOW)
    retry = (NOW + timedelta(minutes=1)).isoformat()

    text = terminal(store, ("zendesk",), NOW)
    assert "No failing actions" not in text
    assert (
        "zendesk ticket 1 resolve.two_interactions: pending, 1 attempt; "
        f"retry at {retry}, by the first poll after"
    ) in text
    assert "error: ServerError: PUT update_many → 500" in text
    document = status_json(collect_status(store, configured=("zendesk",), now=NOW))
    (failing,) = document["actions"]["failed"]
    assert (failing["state"], failing["attempts"], failing["retry_at"]) == ("pending", 1, retry)


def test_a_narrow_terminal_gets_full_times_and_whole_errors(store: Store) -> None:
    error = (
        "ServerError: PUT /api/v2/tickets/update_many?ids=101,102,103,104,105,106,107,108 "
        "→ 500 Internal Server Error: the bulk update of tickets could not be completed, "
        "contact Zendesk support with request id 7f3c9a2e-5b1d-4e8f-a6c2-9d0e1f2a3b4c"
    )
    store.poll_started("zendesk")
    store.poll_failed("zendesk", error)
    store.record_actions([(action("1", rule="resolve.two_interactions"), "note")], NOW)
    (refused,) = store.claim_pending("zendesk", "run", now=NOW)
    store.mark_failed([refused.id], error, now=NOW)
    now = later()
    info = store.cursor_info("zendesk")
    assert info is not None and info.last_poll_finished_at is not None

    text = terminal(store, ("zendesk",), now, width=80)

    assert text.count(error) == 2  # the poll's and the action's, each whole on its line
    assert "…" not in text
    for moment in (now, info.last_poll_started_at, info.last_poll_finished_at, NOW):
        assert moment is not None and shown(moment) in text
    assert (NOW + timedelta(minutes=1)).isoformat() in text  # the retry time


def test_a_configured_helpdesk_never_polled_says_so(database_url: str) -> None:
    with Store.open(database_url) as store:
        text = terminal(store, ("zendesk",), NOW)
    assert "zendesk: never polled" in text


def test_a_database_no_care_run_used_is_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "data" / "care.db"
    result = care(
        ["status", "--json"],
        tmp_path,
        CARE_DATABASE_URL=f"sqlite:///{path}",
        CARE_ZENDESK_URL="https://acme.zendesk.com",
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""  # no document for a script to misread
    assert "No CARE run has used this database yet" in result.stderr
    assert "CARE_DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
    assert not path.exists() and not path.parent.exists()


def test_an_empty_database_is_not_migrated_by_status(tmp_path: Path, database_url: str) -> None:
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).touch()
    result = care(["status"], tmp_path, CARE_DATABASE_URL=database_url)
    assert result.returncode == 3, result.stderr
    assert "No CARE run has used this database yet" in result.stderr
    engine = create_engine(database_url)
    try:
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_json_on_stdout_alone_with_no_credentials(tmp_path: Path, database_url: str) -> None:
    with Store.open(database_url) as store:  # what any poll does first
        store.poll_started("zendesk")
    result = care(
        ["status", "--json"],
        tmp_path,
        CARE_DATABASE_URL=database_url,
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
    assert zendesk["state"] == "up_to_date" and zendesk["last_page_saved_at"]
    assert zendesk["up_to_date_as_of"] == zendesk["last_successful_poll_at"] is not None
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
    as_of = datetime.fromisoformat(zendesk["up_to_date_as_of"])
    assert f"zendesk: up to date as of {shown(as_of)}" in table.stdout


@pytest.mark.usefixtures("prefect_server")
def test_a_write_the_helpdesk_refused_is_failing_at_once_with_its_retry_time(
    database_url, tmp_path, monkeypatch
):
    from connectors.errors import HelpdeskError
    from connectors.http import HelpdeskHttp
    from connectors.zendesk.client import LOST_ANSWER_ROUNDS
    from flows.poll import poll_helpdesk

    monkeypatch.setattr(HelpdeskHttp, "_delay", lambda self, exc, attempt: 0.0)  # no waits
    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        config = configure(monkeypatch, tmp_path, sandbox, database_url)
        env = {"CARE_CONFIG": str(config), "CARE_DATABASE_URL": database_url}
        # Every try of the first batch update (with notes: looked for, then sent again): 500
        for _ in range(LOST_ANSWER_ROUNDS):
            sandbox.inject("500@/api/v2/tickets/update_many")
        with pytest.raises(HelpdeskError, match="500"):
            poll_helpdesk(helpdesk="zendesk")

        result = care(["status", "--json"], tmp_path, **env)
        document = json.loads(result.stdout)
        states = [s for rules in document["actions"]["by_rule"].values() for s in rules.values()]
        assert sum(s.get("applying", 0) for s in states) == 0  # none left waiting for a claim
        refused = sum(s.get("pending", 0) for s in states)
        failing = document["actions"]["failed"]
        assert refused > 0 and len(failing) == min(refused, 10)
        for entry in failing:
            assert (entry["state"], entry["attempts"]) == ("pending", 1)
            assert "update_many" in entry["last_error"] and "500" in entry["last_error"]
            retry_at = datetime.fromisoformat(entry["retry_at"])
            assert timedelta(0) < retry_at - datetime.now(UTC) <= timedelta(minutes=1)
        text = care(["status"], tmp_path, **env).stdout
        assert "No failing actions" not in text
        retry_at = datetime.fromisoformat(failing[0]["retry_at"])
        assert f"retry at {shown(retry_at)}, by the first poll after" in text
        assert f"error: {failing[0]['last_error']}" in text

        # The first poll after the retry time writes each of them, every note once.
        clock = datetime.now(UTC) + timedelta(minutes=2)
        monkeypatch.setattr("care.store.store.now_utc", lambda: clock)
        poll_helpdesk(helpdesk="zendesk")
        notes = [n for t in range(1, 121) for n in care_notes(sandbox, t)]
    assert notes and len(set(notes)) == len(notes)
    text = care(["status"], tmp_path, **env).stdout
    assert "No failing actions" in text


@pytest.mark.usefixtures("prefect_server")
def test_a_run_that_fails_between_pages_gives_back_the_actions_it_held(
    database_url, tmp_path, monkeypatch
):
    from flows.poll import poll_helpdesk

    saves = 0
    original = Store.save_cursor

    def fails_on_the_second_page(self, *args, **kwargs):
        nonlocal saves
        saves += 1
        if saves == 2:
            raise RuntimeError("the database went away")
        return original(self, *args, **kwargs)

    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        config = configure(
            monkeypatch, tmp_path, sandbox, database_url, "[zendesk]\nper_page = 40\n"
        )
        monkeypatch.setattr(Store, "save_cursor", fails_on_the_second_page)
        with pytest.raises(RuntimeError, match="the database went away"):
            poll_helpdesk(helpdesk="zendesk")

    env = {"CARE_CONFIG": str(config), "CARE_DATABASE_URL": database_url}
    document = json.loads(care(["status", "--json"], tmp_path, **env).stdout)
    states = [s for rules in document["actions"]["by_rule"].values() for s in rules.values()]
    assert sum(s.get("applying", 0) for s in states) == 0  # held for a fuller call: given back
    assert sum(s.get("pending", 0) for s in states) > 0
    for entry in document["actions"]["failed"]:
        assert (entry["state"], entry["attempts"]) == ("pending", 0)  # never sent
        assert entry["last_error"] == "RuntimeError: the database went away"
    text = care(["status"], tmp_path, **env).stdout
    assert "pending, 0 attempts; due since " in text and ": retried by the next poll" in text
