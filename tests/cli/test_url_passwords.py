"""A password inside a URL (`scheme://user:password@host`) is never shown: not by `care
check`, `care status` or a failing `care run`, and not in what a run leaves in the Prefect
database (its parameters, logs, final state and artifacts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.ports import free_port

CARE = [sys.executable, "-m", "care"]
PASSWORD = "pa55-in-the-url"
DATABASE = f"postgresql+psycopg://care:{PASSWORD}@127.0.0.1:{free_port()}/care"  # nothing there


@pytest.fixture
def api_url(prefect_server) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def care(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "care.toml").write_text("", encoding="utf-8")
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CARE_CONFIG": str(tmp_path / "care.toml"),
        "CARE_DATABASE_URL": DATABASE,
        "CARE_SURVEY_SECRET": "url-password-test-signing-key-0123456789",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    return subprocess.run(
        CARE + args, cwd=tmp_path, env={**base, **env}, capture_output=True, text=True, timeout=180
    )


def test_care_check_shows_no_password_of_any_url(tmp_path):
    result = care(
        ["check"],
        tmp_path,
        CARE_ALERT_WEBHOOK_URL=f"https://hooks:{PASSWORD}@hooks.acme.test/care",
        CARE_SLACK_WEBHOOK_URL=f"https://x:{PASSWORD}@hooks.slack.com/services/T0/B0/x",
        CARE_SURVEY_BASE_URL=f"https://care:{PASSWORD}@survey.acme.test",
        CARE_ZENDESK_URL=f"https://care:{PASSWORD}@acme.zendesk.com",
        CARE_ZENDESK_OAUTH_TOKEN="t",
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1 and "database" in output
    assert "care:***@127.0.0.1" in output  # the database named, its password hidden
    assert "CARE_SURVEY_BASE_URL must not hold a user or password" in output
    assert PASSWORD not in output


def test_care_status_shows_no_password(tmp_path):
    result = care(["status"], tmp_path)
    assert result.returncode != 0 and result.stderr.startswith("error:")
    assert PASSWORD not in result.stdout + result.stderr


def test_a_failing_run_leaves_no_password_in_its_output_or_the_prefect_database(tmp_path, api_url):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    result = care(["--debug", "run", "surveys"], tmp_path, PREFECT_API_URL=api_url)
    assert result.returncode == 1
    assert PASSWORD not in result.stdout + result.stderr  # the traceback included

    with get_client(sync_client=True) as client:
        runs = [
            run for run in client.read_flow_runs(limit=200) if run.state and run.state.is_failed()
        ]
        assert runs, "the failed run is recorded"
        ids = [run.id for run in runs]
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=ids)), limit=200
        )
        artifacts = client.read_artifacts(limit=200)
    recorded = " ".join(
        [str(run.parameters) + str(run.state.message) for run in runs]
        + [log.message for log in logs]
        + [str(artifact.data) for artifact in artifacts]
    )
    assert "OperationalError" in recorded or "database" in recorded  # the failure is there
    assert PASSWORD not in recorded
