"""What an admin reads in the Prefect UI: each run's artifact, a failed run's included."""

from __future__ import annotations

import re
from collections import Counter
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
)
from prefect.states import State

from flows.poll import poll_helpdesk
from flows.report import care_report
from flows.surveys import dispatch_surveys, markdown_summary
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tasks.surveys import DispatchResult
from tests.flows.environment import configure, configure_freshdesk, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")


def artifact(state: State, key: str) -> str:
    """The Markdown the run published under `key`, as the Prefect UI shows it."""
    run_id: UUID | None = state.state_details.flow_run_id
    assert run_id is not None
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=[key]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[run_id]),
            )
        )
    assert len(found) == 1, f"{len(found)} artifacts {key!r} for run {run_id}"
    assert isinstance(found[0].data, str)
    return found[0].data


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def rows(markdown: str, first_cell: str) -> list[list[str]]:
    """The cells of the table rows whose first cell is `first_cell`."""
    return [
        cells(line)
        for line in markdown.splitlines()
        if line.startswith("|") and cells(line)[0] == first_cell
    ]


def table(markdown: str, first_column: str) -> list[dict[str, str]]:
    """The rows of the table whose first column is named `first_column`, by column name."""
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and cells(line)[0] == first_column:
            names, body = cells(line), []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                body.append(dict(zip(names, cells(row), strict=True)))
            return body
    raise AssertionError(f"no table with a {first_column!r} column in:\n{markdown}")


def column_names(markdown: str) -> list[str]:
    """Every column name of every table (the line above each |---| line)."""
    lines = markdown.splitlines()
    return [
        name
        for i, line in enumerate(lines)
        if line.startswith("|--")
        for name in cells(lines[i - 1])
    ]


@pytest.fixture
def zendesk(database_url, tmp_path, monkeypatch):
    with ZendeskSandbox(tickets=60, seed=4, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        yield sandbox


# --- poll-helpdesk ------------------------------------------------------------------


def test_the_poll_artifact_lists_requests_by_endpoint_in_words(zendesk):
    state = poll_helpdesk(helpdesk="zendesk", return_state=True)
    summary = state.result()
    text = artifact(state, "poll-zendesk")

    assert "| Endpoint | Requests |" in text
    (export,) = rows(text, "`GET /api/v2/incremental/tickets/cursor`")
    assert export[1] == str(summary.endpoints["GET /api/v2/incremental/tickets/cursor"])
    assert len(summary.endpoints) > 1  # reads and writes each have their endpoints...
    for endpoint, count in summary.endpoints.items():  # ...and every one is listed
        assert rows(text, f"`{endpoint}`") == [[f"`{endpoint}`", str(count)]]
    assert "| Rule | New actions |" in text
    assert "| Tickets read | Quarantined | Pages | New actions | Applied |" in text
    (requests,) = table(text, "Reads")
    assert requests["Reads"] == str(summary.requests["reads"])
    assert {"Rate-limited (429)", "Waiting on rate limits (s)", "Job status checks"} <= set(
        requests
    )


def test_a_poll_that_fails_midway_publishes_what_it_did_and_stays_failed(zendesk, monkeypatch):
    def channel_down(*args, **kwargs):
        raise ConnectionError("alert webhook\nrefused the connection")

    monkeypatch.setattr("flows.poll.send_alerts", channel_down)  # after every page is done
    state = poll_helpdesk(helpdesk="zendesk", return_state=True)
    text = artifact(state, "poll-zendesk")

    assert state.is_failed()
    with pytest.raises(ConnectionError):
        state.result()
    assert "**This run failed**: ConnectionError: alert webhook refused the connection" in text
    (figures,) = table(text, "Tickets read")
    assert (figures["Tickets read"], figures["Pages"]) == ("60", "1")
    assert int(figures["New actions"]) > 0 and int(figures["Applied"]) > 0
    assert "`resolve.two_interactions`" in text
    assert rows(text, "`GET /api/v2/incremental/tickets/cursor`")


def test_a_poll_refused_by_the_helpdesk_at_once_says_so_in_its_artifact(zendesk, monkeypatch):
    monkeypatch.setenv("CARE_ZENDESK_CLIENT_SECRET", "not-the-secret")
    state = poll_helpdesk(helpdesk="zendesk", return_state=True)
    text = artifact(state, "poll-zendesk")

    assert state.is_failed()
    (line,) = [line for line in text.splitlines() if line.startswith("**This run failed**")]
    assert "AuthError" in line and r"check CARE\_ZENDESK\_CLIENT\_ID" in line  # the fix
    assert "not-the-secret" not in text
    (figures,) = table(text, "Tickets read")
    assert (figures["Tickets read"], figures["Pages"], figures["New actions"]) == ("0", "0", "0")


def test_a_freshdesk_poll_counts_each_ticket_once(database_url, tmp_path, monkeypatch):
    # 300 tickets come back as ~460 reads: CARE's own updates move tickets to the end of
    # Freshdesk's updated_at order, where the same run reads them again.
    with FreshdeskSandbox(tickets=300, seed=7, job_delay_ms=5) as sandbox:
        configure_freshdesk(monkeypatch, tmp_path, sandbox, database_url)
        state = poll_helpdesk(helpdesk="freshdesk", return_state=True)
    summary = state.result()
    text = artifact(state, "poll-freshdesk")

    assert summary.ticket_reads > 300  # the re-reads happen...
    assert summary.tickets == 300  # ...and are not counted twice
    assert summary.read.startswith("300 tickets in ")
    (figures,) = table(text, "Tickets read")
    assert figures["Tickets read"] == "300"
    assert f"{summary.ticket_reads - 300} tickets came back in the list" in text


# --- dispatch-surveys ---------------------------------------------------------------


def test_a_survey_dispatch_that_cannot_start_publishes_why(zendesk, monkeypatch):
    monkeypatch.delenv("CARE_SURVEY_SECRET")
    state = dispatch_surveys(return_state=True)
    text = artifact(state, "dispatch-surveys")

    assert state.is_failed()
    assert "**This run failed**: ConfigError: CARE\\_SURVEY\\_SECRET is not set" in text
    assert "| Outcome | Surveys |" in text and "| (none handled) | 0 |" in text


# --- care-report --------------------------------------------------------------------


def test_the_report_artifact_links_its_html_page(zendesk, tmp_path):
    poll_helpdesk(helpdesk="zendesk")
    state = care_report(days=7, out_dir=str(tmp_path / "reports"), return_state=True)
    run = state.result()
    text = artifact(state, "care-report")

    page = run.html_path
    assert page.is_file() and page.parent == (tmp_path / "reports").resolve()
    assert f"({page.as_uri()})" in text  # a file:// link to the page...
    assert page.name in text.split(page.as_uri())[0]  # ...showing its path
    assert "| Helpdesk | Tickets | Answered | First response median |" in text


def test_a_report_that_cannot_write_its_page_publishes_how_far_it_got(zendesk, tmp_path):
    poll_helpdesk(helpdesk="zendesk")
    blocked = tmp_path / "reports"
    blocked.write_text("a file where the report folder should be")
    state = care_report(days=7, out_dir=str(blocked), return_state=True)
    text = artifact(state, "care-report")

    assert state.is_failed()
    (line,) = [line for line in text.splitlines() if line.startswith("**This run failed**")]
    assert "Error" in line and "reports" in line
    assert re.search(r"^- computed the metrics of [1-9]\d* tickets$", text, re.M)
    assert "wrote the HTML page" not in text


def test_every_artifact_names_its_columns_in_words(zendesk, tmp_path):
    poll = poll_helpdesk(helpdesk="zendesk", return_state=True)
    surveys = dispatch_surveys(dry_run=True, return_state=True)
    report = care_report(days=7, out_dir=str(tmp_path / "r"), return_state=True)
    for state, key in (
        (poll, "poll-zendesk"),
        (surveys, "dispatch-surveys"),
        (report, "care-report"),
    ):
        names = column_names(artifact(state, key))
        assert names, key
        for name in names:  # "New actions", "First response p90", not "new_actions"
            assert name[:1].isupper() and "_" not in name and "`" not in name, (key, name)


def test_survey_outcomes_are_named_in_words_not_labels():
    result = DispatchResult(outcomes=Counter({"sent": 3, "skip:no_email": 2, "not_yet": 1}))
    text = markdown_summary(result, dry_run=False)
    outcomes = {row["Outcome"]: row["Surveys"] for row in table(text, "Outcome")}
    assert outcomes == {
        "sent": "3",
        "skipped: the requester has no e-mail address": "2",
        "not due yet: rescheduled": "1",
    }
