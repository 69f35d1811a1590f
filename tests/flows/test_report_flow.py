"""care-report end to end: a poll of the Zendesk sandbox, then the report flow through
Prefect; its figures checked against the tickets as the helpdesk shows them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from prefect.artifacts import Artifact

from connectors.zendesk.sandbox import ZendeskSandbox
from connectors.zendesk.sandbox.records import GROUP_NAMES
from flows.poll import poll_helpdesk
from flows.report import care_report
from tests.flows.environment import configure, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")
TICKETS = 60


def created_in(ticket: dict, start: datetime, end: datetime) -> bool:
    created = datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00"))
    return start <= created < end


@contextmanager
def polled_sandbox(database_url, tmp_path, monkeypatch) -> Iterator[ZendeskSandbox]:
    """A Zendesk sandbox CARE is configured for and has polled once."""
    with ZendeskSandbox(tickets=TICKETS, seed=5, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")
        yield sandbox


def test_a_report_after_a_poll_publishes_an_artifact_and_a_standalone_page(
    database_url, tmp_path, monkeypatch
):
    with polled_sandbox(database_url, tmp_path, monkeypatch) as sandbox:
        run = care_report(days=7, out_dir=str(tmp_path / "reports"))
        window = [
            t
            for t in map(sandbox.ticket, range(1, TICKETS + 1))
            if created_in(t, run.report.start, run.report.end)
        ]

    created = len(window)
    breached = sum("care_sla_breached" in t["tags"] for t in window)
    escalated = sum("care_escalated" in t["tags"] for t in window)
    assert created > 0 and breached > 0 and escalated > 0  # the seed has all three
    overall = run.report.overall.metrics
    assert (overall.tickets, overall.breached.count, overall.escalated.count) == (
        created,
        breached,
        escalated,
    )

    artifact = Artifact.get("care-report")
    assert artifact is not None and artifact.data == run.markdown
    (row,) = [line for line in run.markdown.splitlines() if line.startswith("| all helpdesks |")]
    assert f"| {created} |" in row
    assert f"({breached}/{created})" in row and f"({escalated}/{created})" in row

    assert run.html_path == (tmp_path / "reports" / run.html_path.name).resolve()
    page = Path(run.html_path).read_text(encoding="utf-8")
    assert page.count("<svg") >= 2  # first-response p90 by group, rates of zendesk, ...
    assert f"{created} tickets created" in page
    assert f"<td>{breached / created:.0%}".replace("%", " %") in page
    assert "<table" in page and "<script" not in page.lower()
    assert "http" not in page  # no external asset, link or font of any kind

    labels = {g.label for g in run.report.groups}
    assert labels & {f"zendesk · {name}" for name in GROUP_NAMES}  # as the team knows them
    assert not [label for label in labels if label.startswith("zendesk · 3600")]
    assert any(f"| zendesk · {name} |" in run.markdown for name in GROUP_NAMES)


def test_groups_are_shown_by_id_when_the_helpdesk_cannot_be_asked(
    database_url, tmp_path, monkeypatch
):
    with polled_sandbox(database_url, tmp_path, monkeypatch):
        pass
    # the sandbox is gone: the daily report still comes, with group ids

    run = care_report(days=7, out_dir=str(tmp_path / "reports"))

    labels = {g.label for g in run.report.groups}
    assert any(label.startswith("zendesk · 3600") for label in labels)
    assert run.report.overall.metrics.tickets > 0 and run.html_path.exists()


def test_a_report_on_a_store_without_tickets_says_so(database_url, tmp_path, monkeypatch):
    (tmp_path / "care.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("CARE_CONFIG", str(tmp_path / "care.toml"))
    monkeypatch.setenv("CARE_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)  # the page goes to [report] dir, "reports" by default

    run = care_report(days=1)

    assert run.report.no_tickets
    assert "**No tickets in this window**" in run.markdown
    assert not re.search(r"\bnan\b", run.markdown, re.IGNORECASE)
    assert run.html_path.parent == (tmp_path / "reports").resolve()
    page = run.html_path.read_text(encoding="utf-8")
    assert "No tickets in this window" in page and "<svg" not in page
