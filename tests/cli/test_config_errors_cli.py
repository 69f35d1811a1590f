"""Every command refuses settings that cannot work in one `error:` line that names the key
or variable, never its value: a secret under a misspelt key of care.toml is not printed
back, and `care survey-server` does not start with a signing key under 32 bytes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CARE = [sys.executable, "-m", "care"]
SECRET = "xoxb-s3cret-pasted-in-the-file"


@pytest.fixture
def api_url(prefect_server) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


def care(args: list[str], tmp_path: Path, toml: str, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "care.toml").write_text(toml, encoding="utf-8")
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CARE_CONFIG": str(tmp_path / "care.toml"),
        "CARE_DATABASE_URL": f"sqlite:///{tmp_path / 'care.db'}",
        "CARE_SURVEY_SECRET": "config-errors-test-signing-key-0123456789",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    return subprocess.run(
        CARE + args, cwd=tmp_path, env={**base, **env}, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        (f'[smtp]\npass = "{SECRET}"\n', "smtp: unknown key"),
        (f'freshdesk.apikey = "{SECRET}"\n', "freshdesk.apikey: unknown key"),
        (
            f'[alerts]\nprefect_block = "https://hooks.slack.com/services/{SECRET}"\n',
            "prefect_block",
        ),
    ],
)
@pytest.mark.parametrize(
    "command", [["status"], ["run", "poll", "--helpdesk", "zendesk"], ["survey-server"]]
)
def test_no_command_prints_back_a_secret_written_in_the_wrong_place(
    tmp_path, api_url, command, toml, key
):
    result = care(command, tmp_path, toml, PREFECT_API_URL=api_url)
    assert SECRET not in result.stdout + result.stderr
    if command == ["status"] and key == "prefect_block":
        return  # status reads no alert setting: nothing to refuse, nothing shown
    assert result.returncode != 0
    assert "error:" in result.stderr and key in result.stderr
    assert "Traceback" not in result.stderr


def test_the_survey_server_does_not_start_with_a_short_signing_key(tmp_path):
    result = care(["survey-server"], tmp_path, "", CARE_SURVEY_SECRET="too-short-s3cret")
    assert result.returncode != 0
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith("error: CARE_SURVEY_SECRET is shorter than 32 bytes")
    assert "openssl rand -hex 32" in line and "too-short-s3cret" not in result.stderr
    assert "Uvicorn running" not in result.stderr + result.stdout
