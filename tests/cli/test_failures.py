"""A failing command ends with one readable `error:` line that names the fix, not pages of
traceback; `care --debug` shows the traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from care.app.failures import one_line
from tests.ports import free_port

CARE = [sys.executable, "-m", "care"]
DATABASE_DOWN = f"postgresql+psycopg://care@127.0.0.1:{free_port()}/care"
NOTHING_THERE = f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def api_url(prefect_server) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def care(args: list[str], tmp_path: Path, api_url: str, **env: str):
    (tmp_path / "care.toml").write_text("")
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CARE_CONFIG": str(tmp_path / "care.toml"),
        "CARE_DATABASE_URL": f"sqlite:///{tmp_path / 'care.db'}",
        "PREFECT_API_URL": api_url,  # the session's server: no temporary one per command
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "CARE_SURVEY_SECRET": "failures-test-signing-key-0123456789",
    }
    return subprocess.run(
        CARE + args, cwd=tmp_path, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    return result.stderr.strip().splitlines()[-1]


def test_a_helpdesk_url_where_nothing_answers_fails_at_once_naming_it(tmp_path, api_url):
    started = time.monotonic()
    result = care(
        ["run", "poll", "--helpdesk", "zendesk"],
        tmp_path,
        api_url,
        CARE_ZENDESK_URL=NOTHING_THERE,
        CARE_ZENDESK_OAUTH_TOKEN="t",
    )
    assert time.monotonic() - started < 60  # not three minutes of retries
    assert result.returncode == 1
    assert last_line(result).startswith("error: Zendesk: nothing answers")
    assert last_line(result).endswith("check CARE_ZENDESK_URL")
    assert "Traceback" not in result.stderr + result.stdout


def test_a_database_that_is_down_is_named_in_one_line(tmp_path, api_url):
    result = care(["run", "surveys"], tmp_path, api_url, CARE_DATABASE_URL=DATABASE_DOWN)
    assert result.returncode == 1
    assert last_line(result).startswith("error: cannot use the database in CARE_DATABASE_URL")
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.splitlines()) < 5


def test_debug_shows_the_traceback(tmp_path, api_url):
    result = care(["--debug", "run", "surveys"], tmp_path, api_url, CARE_DATABASE_URL=DATABASE_DOWN)
    assert result.returncode == 1
    assert "Traceback" in result.stderr


def test_an_error_message_keeps_its_brackets(tmp_path, api_url):
    (tmp_path / "bad.toml").write_text("[freshdesk]\nurl = 'https://acme.freshdesk.com/api/v2'\n")
    result = care(["run", "surveys"], tmp_path, api_url, CARE_CONFIG=str(tmp_path / "bad.toml"))
    assert result.returncode == 2
    assert "freshdesk.url" in last_line(result)


def test_one_line_names_the_fix_for_what_prefect_raises():
    slow = RuntimeError("Timed out while attempting to connect to ephemeral Prefect API server.")
    assert "set PREFECT_API_URL" in one_line(slow)
    gone = httpx.ConnectError("All connection attempts failed")
    assert one_line(gone).endswith("check PREFECT_API_URL")
    database = OperationalError("SELECT 1", {}, Exception("connection refused\nmore"))
    assert one_line(database) == (
        "cannot use the database in CARE_DATABASE_URL (connection refused): start it, "
        "or check CARE_DATABASE_URL"
    )
    assert one_line(ValueError("odd\nsecond line")).startswith("ValueError: odd; run again")
    leaky = RuntimeError("cannot open postgresql://care:hunter2@db/care")
    assert "hunter2" not in one_line(leaky) and "care:***@db" in one_line(leaky)


def test_prefect_s_temporary_server_gets_time_to_start_unless_the_user_says_otherwise(tmp_path):
    probe = (
        "import care.app.cli; from prefect.settings import get_current_settings as s; "
        "print(s().server.ephemeral.startup_timeout_seconds)"
    )
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def timeout(**env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", probe], env={**base, **env}, capture_output=True, text=True
        )
        return done.stdout.strip()

    assert timeout() == "120"  # Prefect's own default, 20 s, failed runs on a busy machine
    assert timeout(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="45") == "45"
