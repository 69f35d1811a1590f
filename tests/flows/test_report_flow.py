"""care-report end to end: a poll of the Zendesk sandbox, then the report flow through
Prefect; its figures checked against the tickets as the helpdesk shows them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prefect.artifacts import Artifact

from care.domain.insights import bottlenecks
from care.domain.metrics import Rate
from flows.poll import poll_helpdesk
from flows.report import care_report
from sandboxes.zendesk import ZendeskSandbox
from sandboxes.zendesk.records import GROUP_NAMES
from tests.flows.environment import configure, settled_past
from tests.flows.webhooks import GENERIC_PATH, SLACK_PATH, webhook_receiver

pytestmark = pytest.mark.usefixtures("prefect_server")
TICKETS = 60


def created_in(ticket: dict, start: datetime, end: datetime) -> bool:
    return start <= at(ticket["created_at"]) < end


def at(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def wait_of(sandbox: ZendeskSandbox, ticket: dict) -> tuple[str, datetime, bool] | None:
    """The wait a new or open ticket shows in the helpdesk after one poll: (kind, start,
    tagged breached), read from its public comments; None when the agent spoke last."""
    if ticket["status"] not in ("new", "open"):
        return None
    public = [c for c in sandbox.comments(ticket["id"]) if c["public"]]
    breached = "care_sla_breached" in ticket["tags"]
    if all(c["author_id"] == ticket["requester_id"] for c in public):
        return "first_reply", at(ticket["created_at"]), breached
    if public[-1]["author_id"] != ticket["requester_id"]:
        return None
    return "next_reply", at(public[-1]["created_at"]), breached


@contextmanager
def polled_sandbox(database_url, tmp_path, monkeypatch) -> Iterator[ZendeskSandbox]:
    """A Zendesk sandbox CARE is configured for and has polled once."""
    with ZendeskSandbox(tickets=TICKETS, seed=5, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")
        yield sandbox


TARGET = timedelta(hours=24)  # the default response target, every priority


def first_reply_breached(sandbox: ZendeskSandbox, ticket: dict, end: datetime) -> bool:
    """From the ticket's own history: its first agent reply came past the target, or none
    came and it is still new or open past it; or the poll tagged its first wait."""
    created = at(ticket["created_at"])
    agent = [
        at(c["created_at"])
        for c in sandbox.comments(ticket["id"])
        if c["public"] and c["author_id"] != ticket["requester_id"]
    ]
    if agent:
        late = min(agent) - created > TARGET
    else:
        late = ticket["status"] in ("new", "open") and end - created > TARGET
    wait = wait_of(sandbox, ticket)
    return late or bool(wait and wait[0] == "first_reply" and wait[2])


def next_reply_breaches(waits: list[tuple[str, datetime, bool]], end: datetime) -> Rate:
    """The next-reply waits one poll saw: breached when tagged or running past the target."""
    of_kind = [tagged or end - start > TARGET for k, start, tagged in waits if k == "next_reply"]
    return Rate(sum(of_kind), len(of_kind))


def test_a_report_after_a_poll_publishes_an_artifact_and_a_standalone_page(
    database_url, tmp_path, monkeypatch
):
    with polled_sandbox(database_url, tmp_path, monkeypatch) as sandbox:
        run = care_report(days=7, out_dir=str(tmp_path / "reports"))
        start, end = run.report.start, run.report.end
        tickets = [sandbox.ticket(i) for i in range(1, TICKETS + 1)]
        window = [t for t in tickets if created_in(t, start, end)]
        waits = [w for t in tickets if (w := wait_of(sandbox, t)) and start <= w[1] < end]
        first_breached = [first_reply_breached(sandbox, t, end) for t in window]

    created = len(window)
    escalated = sum("care_escalated" in t["tags"] for t in window)
    first = Rate(sum(first_breached), created)
    then = next_reply_breaches(waits, end)
    breached = Rate(first.count + then.count, first.total + then.total)
    assert created > 0 and escalated > 0 and first.count > 0 and then.count > 0  # in the seed
    overall = run.report.overall.metrics
    assert (overall.tickets, overall.escalated.count) == (created, escalated)
    assert (overall.first_reply_breached, overall.next_reply_breached) == (first, then)
    assert overall.breached == breached

    artifact = Artifact.get("care-report")
    assert artifact is not None and artifact.data == run.markdown
    (row,) = [line for line in run.markdown.splitlines() if line.startswith("| all helpdesks |")]
    assert f"| {created} |" in row
    assert f"({breached.count}/{breached.total})" in row and f"({escalated}/{created})" in row

    assert run.html_path == (tmp_path / "reports" / run.html_path.name).resolve()
    page = Path(run.html_path).read_text(encoding="utf-8")
    assert page.count("<svg") >= 2  # first-response p90 by group, rates of zendesk, ...
    assert f"{created} tickets created" in page
    assert f"<td>{breached.value:.0%}".replace("%", " %") in page
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


def test_the_weekly_digest_sends_the_bottlenecks_and_the_page_to_each_channel(
    database_url, tmp_path, monkeypatch
):
    with webhook_receiver() as receiver, polled_sandbox(database_url, tmp_path, monkeypatch):
        monkeypatch.setenv("CARE_ALERT_WEBHOOK_URL", receiver.url + GENERIC_PATH)
        monkeypatch.setenv("CARE_SLACK_WEBHOOK_URL", receiver.url + SLACK_PATH)
        overrides = {"report": {"base_url": "https://reports.acme.example/care"}}
        run = care_report(
            days=7, out_dir=str(tmp_path / "reports"), digest=True, overrides=overrides
        )
        (generic,) = receiver.on(GENERIC_PATH)
        (slack,) = receiver.on(SLACK_PATH)
    link = f"https://reports.acme.example/care/{run.html_path.name}"
    lines = [b.line for b in bottlenecks(run.report)]
    assert lines and run.digest_errors == {}
    assert generic.body["rule"] == "care.report_digest"
    assert generic.body["title"].startswith("CARE report, ")
    assert generic.body["reason"].splitlines() == [
        *(f"{i}. {line}" for i, line in enumerate(lines, 1)),
        f"The report: {link}",
    ]
    assert generic.headers["Idempotency-Key"] == generic.body["idempotency_key"]
    assert slack.body["text"].startswith(":bar_chart: *CARE report, ")
    assert link in slack.body["text"]


def test_a_digest_with_no_channel_fails_the_run_and_says_what_to_set(
    database_url, tmp_path, monkeypatch
):
    with polled_sandbox(database_url, tmp_path, monkeypatch):
        for name in (
            "CARE_ALERT_WEBHOOK_URL",
            "CARE_SLACK_WEBHOOK_URL",
            "CARE_ALERT_PREFECT_BLOCK",
        ):
            monkeypatch.delenv(name, raising=False)
        with pytest.raises(Exception, match="CARE_SLACK_WEBHOOK_URL"):
            care_report(days=7, out_dir=str(tmp_path / "reports"), digest=True)
    artifact = Artifact.get("care-report")
    assert artifact is not None and "the digest has nowhere to go" in artifact.data
