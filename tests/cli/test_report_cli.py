"""`care run report`: the key figures and the page's path, or a clear refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from care.store import Store
from tests.cli.test_cli import run
from tests.rules.builders import ticket


def test_a_report_on_an_empty_store_says_so_and_writes_the_page(tmp_path: Path) -> None:
    (tmp_path / "care.toml").write_text('[report]\ndir = "pages"\n', encoding="utf-8")
    result = run(
        ["run", "report", "--days", "2"],
        tmp_path,
        CARE_DATABASE_URL=f"sqlite:///{tmp_path / 'care.db'}",
        PREFECT_HOME=str(tmp_path / "prefect"),
    )
    assert result.returncode == 0, result.stderr
    assert "(2 days)" in result.stdout and "No tickets in this window" in result.stdout
    (page,) = (tmp_path / "pages").glob("care-report-*-2d.html")
    assert f"HTML page: {page}" in result.stdout.replace("\n", "")


def test_days_must_be_at_least_one(tmp_path: Path) -> None:
    result = run(["run", "report", "--days", "0"], tmp_path)
    assert result.returncode == 2
    assert "--days" in result.stderr


def seeded_store(tmp_path: Path) -> str:
    """Two tickets this week, one the week before: something to compare."""
    url = f"sqlite:///{tmp_path / 'care.db'}"
    now = datetime.now(UTC)
    with Store.open(url) as store:
        store.upsert_snapshots(
            [
                ticket(
                    id="1",
                    created_at=now - timedelta(days=1),
                    updated_at=now,
                    first_agent_reply_at=None,
                    agent_replies=0,
                ),
                ticket(
                    id="2",
                    created_at=now - timedelta(days=2),
                    updated_at=now,
                    first_agent_reply_at=now - timedelta(days=2) + timedelta(hours=3),
                ),
                ticket(id="3", created_at=now - timedelta(days=9), updated_at=now),
            ],
            now,
        )
    return url


def test_json_is_one_document_on_stdout_and_nothing_else(tmp_path: Path) -> None:
    result = run(
        ["run", "report", "--format", "json", "--weeks", "3"],
        tmp_path,
        CARE_DATABASE_URL=seeded_store(tmp_path),
        PREFECT_HOME=str(tmp_path / "prefect"),
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["overall"]["tickets"] == 2 and document["previous"]["tickets"] == 1
    assert document["overall"]["first_reply_p50"] == 3 * 3600
    assert len(document["weeks"]) == 3 and Path(document["page"]).is_file()
    assert {c["figure"] for c in document["direction"]} >= {"first_reply_p90", "survey_yes"}


def test_compare_shows_each_figure_beside_the_days_before(tmp_path: Path) -> None:
    result = run(
        ["run", "report", "--compare"],
        tmp_path,
        CARE_DATABASE_URL=seeded_store(tmp_path),
        PREFECT_HOME=str(tmp_path / "prefect"),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("before" in line and "now" in line and "change" in line for line in lines)
    assert any(
        "Escalated" in line and line.count("0 %") == 2 and "≈ same" in line for line in lines
    )
