"""The `care` command line: clear messages and exit codes, before Prefect even starts."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

CARE = [sys.executable, "-m", "care"]


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CARE_CONFIG": str(tmp_path / "care.toml"),
    }
    (tmp_path / "care.toml").touch()
    return subprocess.run(
        CARE + args, cwd=tmp_path, env={**base, **env}, capture_output=True, text=True, timeout=60
    )


def test_poll_without_zendesk_credentials_says_which_variables_to_set(tmp_path):
    result = run(
        ["run", "poll", "--helpdesk", "zendesk"],
        tmp_path,
        CARE_ZENDESK_URL="https://acme.zendesk.com",
    )
    assert result.returncode == 2
    assert "CARE_ZENDESK_CLIENT_ID and CARE_ZENDESK_CLIENT_SECRET" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_helpdesk_is_named(tmp_path):
    result = run(["run", "poll", "--helpdesk", "helpscout"], tmp_path)
    assert result.returncode == 2
    assert "unknown helpdesk 'helpscout'" in result.stderr


def test_a_bad_config_key_is_named_with_the_file(tmp_path):
    (tmp_path / "bad.toml").write_text("[rules.response_sla]\ntarget_hours = 0\n")
    result = run(["run", "surveys"], tmp_path, CARE_CONFIG=str(tmp_path / "bad.toml"))
    assert result.returncode == 2
    assert "rules.response_sla.target_hours" in result.stderr


def listed_commands(help_text: str) -> set[str]:
    """The names in the Commands panel of a `--help` page."""
    panel = help_text.partition("─ Commands ─")[2].partition("╰")[0]
    return {m.group(1) for m in re.finditer(r"^│ (\S+)", panel, flags=re.MULTILINE)}


def test_help_lists_the_commands(tmp_path):
    expected = {
        (): {"demo", "run", "serve", "survey-server", "sandbox", "status", "check"},
        ("run",): {"poll", "surveys", "outreach", "report"},
        ("sandbox",): {"zendesk", "freshdesk"},
    }
    for group, commands in expected.items():
        result = run([*group, "--help"], tmp_path, COLUMNS="100")
        assert result.returncode == 0, result.stderr
        assert listed_commands(result.stdout) == commands, group


def test_sandbox_refuses_an_unknown_fault_by_name(tmp_path):
    result = run(["sandbox", "zendesk", "--port", "0", "--fault", "teapot"], tmp_path)
    assert result.returncode == 2
    assert "unknown fault 'teapot'" in result.stderr


def test_sandbox_refuses_an_unknown_plan_by_name(tmp_path):
    result = run(
        ["sandbox", "freshdesk", "--port", "0", "--real-limits", "--plan", "gold"], tmp_path
    )
    assert result.returncode == 2
    assert "unknown plan 'gold'" in result.stderr


def test_sandbox_with_real_limits_says_so_and_counts_the_requests_when_stopped(tmp_path):
    (tmp_path / "care.toml").touch()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CARE_CONFIG": str(tmp_path / "care.toml"),
    }
    proc = subprocess.Popen(
        [*CARE, "sandbox", "zendesk", "--port", "0", "--real-limits"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Enterprise plan's rate limits" in (proc.stdout.readline() if proc.stdout else "")
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    counts = json.loads(out.strip().splitlines()[-1])
    assert (counts["spent"], counts["refused"], counts["first_at"]) == ({}, {}, None)
