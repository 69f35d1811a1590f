"""The retention history in the report: repurchase and churn after the window's solved
tickets, split by what happened; an unreadable history is said, the report still comes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from care.domain.model import Status
from care.store import Store
from flows.report import care_report
from tests.rules.builders import ticket

pytestmark = pytest.mark.usefixtures("prefect_server")
DAY = timedelta(days=1)


def seed(database_url: str, now: datetime) -> None:
    def solved(id: str, email: str, reply_after: timedelta) -> object:
        created = now - 5 * DAY
        return ticket(
            id=id,
            requester={"id": f"r{id}", "email": email},
            created_at=created,
            updated_at=now - DAY,
            first_agent_reply_at=created + reply_after,
            status=Status.SOLVED,
            solved_at=now - 4 * DAY,
        )

    with Store.open(database_url) as store:
        store.upsert_snapshots(
            [
                solved("1", "Ana@Example.com", timedelta(hours=2)),
                solved("2", "bob@example.com", 2 * DAY),  # breached
                solved("3", "cy@example.com", timedelta(hours=1)),  # not in the history
            ],
            now,
        )


def configure(monkeypatch, tmp_path: Path, database_url: str, csv: str) -> None:
    (tmp_path / "retention.csv").write_text(csv, encoding="utf-8")
    (tmp_path / "care.toml").write_text(
        '[report.retention]\ncsv = "retention.csv"\nwindows_days = [30]\n', encoding="utf-8"
    )
    monkeypatch.setenv("CARE_CONFIG", str(tmp_path / "care.toml"))
    monkeypatch.setenv("CARE_DATABASE_URL", database_url)
    for name in ("CARE_ZENDESK_URL", "CARE_FRESHDESK_URL"):
        monkeypatch.delenv(name, raising=False)


def test_repurchase_and_churn_after_the_solved_tickets(monkeypatch, tmp_path, database_url):
    now = datetime.now(UTC)
    seed(database_url, now)
    day = (now - 2 * DAY).date().isoformat()
    csv = f"email,date,event\nana@example.com,{day},purchase\nbob@example.com,{day},churn\n"
    configure(monkeypatch, tmp_path, database_url, csv)
    run = care_report(days=7, out_dir=str(tmp_path / "reports"))

    r = run.report.retention
    assert r is not None and run.report.retention_error is None
    assert (r.all.matched.count, r.all.matched.total, r.unmatched) == (2, 3, 1)
    assert r.all.repurchased[30].count == 1 and r.all.churned.count == 1
    assert r.splits["breached"][True].churned.count == 1  # bob's reply came 2 days late
    assert r.splits["breached"][False].repurchased[30].count == 1
    assert "| Bought again within 30 days | Churned within 30 days |" in run.markdown
    assert "2 of 3 contacts matched" in run.html_path.read_text(encoding="utf-8")


def test_an_unreadable_history_is_said_and_the_report_still_comes(
    monkeypatch, tmp_path, database_url
):
    seed(database_url, datetime.now(UTC))
    configure(monkeypatch, tmp_path, database_url, "mail,when\nana@example.com,2026-01-01\n")
    run = care_report(days=7, out_dir=str(tmp_path / "reports"))
    assert run.report.retention is None
    assert "The retention history could not be read" in run.markdown
    assert "email" in (run.report.retention_error or "")  # the missing column is named
