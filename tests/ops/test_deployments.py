"""deployments/prefect.yaml and `care serve`: the same schedules, one run at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from care.app.schedules import REPORT, SURVEYS, WORK_POOL, poll, schedules
from care.app.serve import load_flow, runner_deployments
from care.settings.load import load_settings

ROOT = Path(__file__).parents[2]
EXPECTED = [poll("zendesk"), poll("freshdesk"), SURVEYS, REPORT]


def declared() -> list[dict]:
    return yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())["deployments"]


def test_prefect_yaml_declares_the_schedules_care_serve_runs():
    rows = declared()
    assert [(d["name"], d["entrypoint"]) for d in rows] == [
        (s.name, s.entrypoint) for s in EXPECTED
    ]
    for row, schedule in zip(rows, EXPECTED, strict=True):
        (when,) = row["schedules"]
        assert when.get("interval") == schedule.interval_s and when.get("cron") == schedule.cron
        assert row["parameters"] == schedule.parameters
        assert row["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
        assert row["work_pool"]["name"] == WORK_POOL


def test_the_repo_root_prefect_yaml_is_the_deployments_one():
    assert (ROOT / "prefect.yaml").resolve() == (ROOT / "deployments" / "prefect.yaml").resolve()


def test_every_entrypoint_is_the_flow_of_its_name():
    for schedule in EXPECTED:
        assert load_flow(schedule).name == schedule.flow


def test_care_serve_polls_only_the_configured_helpdesks(tmp_path):
    env = {"CARE_FRESHDESK_URL": "https://acme.freshdesk.com", "CARE_FRESHDESK_API_KEY": "k"}
    (tmp_path / "none.toml").write_text("")
    settings = load_settings(tmp_path / "none.toml", env=env)
    names = [d.name for d in runner_deployments(settings)]
    assert names == ["serve-freshdesk", "serve-every-15-min", "serve-daily"]
    (poll,) = (s for s in schedules(["freshdesk"]) if s.flow == "poll-helpdesk")
    assert poll.name == "freshdesk"


@pytest.mark.usefixtures("prefect_server")
def test_care_serve_registers_its_deployments_with_the_prefect_server(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    env = {
        **os.environ,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "CARE_CONFIG": str(tmp_path / "none.toml"),
        "CARE_ZENDESK_URL": "http://127.0.0.1:9",  # never called: nothing is due in this test
        "CARE_ZENDESK_OAUTH_TOKEN": "t",
        "CARE_DATABASE_URL": f"sqlite:///{tmp_path / 'care.db'}",
    }
    env.pop("CARE_FRESHDESK_URL", None)
    (tmp_path / "none.toml").write_text("")
    process = subprocess.Popen(
        [sys.executable, "-m", "care", "serve"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deployment = None
        deadline = time.monotonic() + 60
        with get_client(sync_client=True) as client:
            while deployment is None and time.monotonic() < deadline:
                try:
                    deployment = client.read_deployment_by_name("poll-helpdesk/serve-zendesk")
                except Exception:
                    time.sleep(0.5)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert deployment is not None, output
    assert deployment.parameters == {"helpdesk": "zendesk"}
    assert deployment.schedules[0].schedule.interval.total_seconds() == 300
    assert deployment.global_concurrency_limit.limit == 1
    assert deployment.concurrency_options.collision_strategy == "CANCEL_NEW"
    assert "serving poll-helpdesk/serve-zendesk · every 5 min" in output
    assert f"Prefect UI: {str(PREFECT_API_URL.value()).removesuffix('/api')}" in output
