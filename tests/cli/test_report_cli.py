"""`care run report`: the key figures and the page's path, or a clear refusal."""

from __future__ import annotations

from pathlib import Path

from tests.cli.test_cli import run


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
