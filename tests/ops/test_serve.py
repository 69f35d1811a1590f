"""`care serve` as a small team runs it: with no Prefect server it starts one whose scheduler
really makes runs, and beside `prefect deploy` deployments it refuses instead of rewriting
them (their runs then crashed on a working directory of None)."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.ops.cluster import ROOT, Cluster, prefect_env, prefect_server
from tests.ports import free_port

pytestmark = pytest.mark.slow


def care_env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "care.toml").write_text("")
    return {
        "CARE_CONFIG": str(tmp_path / "care.toml"),
        "CARE_DATABASE_URL": f"sqlite:///{tmp_path / 'care.db'}",
        "CARE_ZENDESK_URL": "http://127.0.0.1:9",  # never called: nothing is due in these tests
        "CARE_ZENDESK_OAUTH_TOKEN": "t",
    }


def start_serve(env: dict[str, str], port: int) -> subprocess.Popen:
    """`care serve` with no PREFECT_API_URL: it starts a Prefect server on `port`."""
    return subprocess.Popen(
        [sys.executable, "-m", "care", "serve", "--prefect-port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def scheduled_runs(api: str) -> list[dict]:
    body = {"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}, "limit": 50}
    return requests.post(f"{api}/flow_runs/filter", json=body, timeout=5).json()


def test_care_serve_without_a_prefect_server_starts_one_that_schedules_runs(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = prefect_env(
        tmp_path / "prefect",
        None,  # no PREFECT_API_URL
        {**care_env(tmp_path), "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "1"},
    )
    serve = start_serve(env, port)
    try:
        deadline = time.monotonic() + 120
        runs: list[dict] = []
        while not runs and time.monotonic() < deadline and serve.poll() is None:
            with contextlib.suppress(requests.RequestException):
                runs = scheduled_runs(api)
            time.sleep(1)
    finally:
        serve.send_signal(signal.SIGTERM)
        output, _ = serve.communicate(timeout=60)
    assert runs, output
    assert f"Prefect UI: http://127.0.0.1:{port}" in output
    assert output.rstrip().endswith("stopped") and serve.returncode == 0, output
    with pytest.raises(requests.ConnectionError):  # the server it started stopped with it
        requests.get(f"{api}/health", timeout=2)


def test_care_serve_stopped_while_its_prefect_server_starts_stops_that_server_too(tmp_path):
    port = free_port()
    env = prefect_env(tmp_path / "prefect", None, care_env(tmp_path))
    serve = start_serve(env, port)
    first = serve.stdout.readline()  # "No PREFECT_API_URL: starting a Prefect server …"
    time.sleep(1)  # the server process is starting
    serve.send_signal(signal.SIGTERM)
    output = first + serve.communicate(timeout=60)[0]
    assert "starting a Prefect server" in first
    assert output.rstrip().endswith("stopped") and serve.returncode == 0, output
    time.sleep(1)
    with pytest.raises(requests.ConnectionError):  # nothing left behind on the port
        requests.get(f"http://127.0.0.1:{port}/api/health", timeout=2)


def test_care_serve_refuses_a_server_whose_workers_already_run_care(tmp_path):
    home = tmp_path / "prefect"
    home.mkdir()
    with prefect_server(home) as api:
        c = Cluster(home, api, care_env(tmp_path))
        c.cli("work-pool", "create", "care", "--type", "process")
        c.cli("deploy", "--all")
        done = subprocess.run(
            [sys.executable, "-m", "care", "serve"],
            env=c.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        untouched = requests.post(f"{api}/deployments/filter", json={}, timeout=5).json()
    assert done.returncode == 1
    assert "already runs CARE through workers (care-report/daily" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert all(d["work_pool_name"] == "care" and d["pull_steps"] for d in untouched)
    assert not any(d["name"].startswith("serve-") for d in untouched)
