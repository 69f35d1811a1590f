"""`care survey-server`: refuses to start without its signing key, serves until Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.cli.test_cli import run
from tests.ports import free_port


def test_the_survey_server_needs_the_signing_key(tmp_path: Path) -> None:
    result = run(["survey-server"], tmp_path, CARE_DATABASE_URL=f"sqlite:///{tmp_path}/c.db")
    assert result.returncode == 2
    assert "CARE_SURVEY_SECRET" in result.stderr and "Traceback" not in result.stderr


def test_the_survey_server_answers_on_its_port_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "care.toml").touch()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CARE_CONFIG": str(tmp_path / "care.toml"),
        "CARE_DATABASE_URL": f"sqlite:///{tmp_path}/care.db",
        "CARE_SURVEY_SECRET": "cli-test-signing-key-0123456789abcdef",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "care", "survey-server", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        page = _get_when_up(f"http://127.0.0.1:{port}/s/not-a-token")
        assert page.status_code == 400 and "This link is not valid" in page.text
    finally:
        server.send_signal(signal.SIGINT)
        stdout, stderr = server.communicate(timeout=30)
    assert f"Survey answers on http://127.0.0.1:{port}" in stdout
    assert "no helpdesk is configured" in stderr
    assert "not-a-token" not in stdout + stderr  # no access log with tokens in it


def _get_when_up(url: str, timeout: float = 30.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=5)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
