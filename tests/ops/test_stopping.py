"""`care serve` and Prefect workers stop promptly on SIGTERM, even in the middle of a poll
that is waiting out a helpdesk's rate limit, and say nothing alarming while they do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import settled_past
from tests.ops.cluster import ROOT, Cluster, prefect_env, prefect_server, worker

pytestmark = pytest.mark.slow

PROMPT_S = 10.0  # systemd waits 90 s before a SIGKILL; a worker should need a fraction


def care_env(tmp_path: Path, zendesk: ZendeskSandbox) -> dict[str, str]:
    (tmp_path / "care.toml").write_text(f'[survey]\noutbox_dir = "{tmp_path / "outbox"}"\n')
    return {
        "CARE_CONFIG": str(tmp_path / "care.toml"),
        "CARE_DATABASE_URL": f"sqlite:///{tmp_path / 'care.db'}",
        "CARE_ZENDESK_URL": zendesk.url,
        "CARE_ZENDESK_CLIENT_ID": zendesk.client_id,
        "CARE_ZENDESK_CLIENT_SECRET": zendesk.client_secret,
        "CARE_SURVEY_SECRET": "stop-test-signing-key-0123456789abc",
    }


@contextmanager
def throttled_zendesk() -> Iterator[ZendeskSandbox]:
    """A helpdesk that answers 429 with a long Retry-After after its first requests: a poll
    against it spends most of its time waiting."""
    with ZendeskSandbox(tickets=20, now=settled_past(), rate_limit_per_minute=2) as zendesk:
        yield zendesk


def start_run(api: str, name: str) -> str:
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}):
        return str(run_deployment(name, timeout=0).id)


def wait_running(api: str, run_id: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = requests.get(f"{api}/flow_runs/{run_id}", timeout=5).json()["state_type"]
        if state == "RUNNING":
            time.sleep(3)  # into the poll's first requests and the 429 waits
            return
        time.sleep(0.5)
    raise AssertionError(f"the run never started (state {state})")


def seconds_to_stop(process: subprocess.Popen, sig: signal.Signals, group: bool = True) -> float:
    """Signal the process group, as systemd (and Ctrl-C in a terminal) does, or the process
    alone, as `kill PID` does; the seconds until every process in the group (the flow-run
    processes too) has exited."""
    started = time.monotonic()
    if group:
        os.killpg(process.pid, sig)
    else:
        process.send_signal(sig)
    deadline = started + 60
    while time.monotonic() < deadline:
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return time.monotonic() - started
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return float("inf")


def test_a_worker_stops_promptly_while_a_poll_waits_out_a_rate_limit(tmp_path):
    home = tmp_path / "prefect"
    home.mkdir()
    with throttled_zendesk() as zendesk, prefect_server(home) as api:
        c = Cluster(home, api, care_env(tmp_path, zendesk))
        c.cli("work-pool", "create", "care", "--type", "process")
        c.cli("deploy", "-n", "poll-helpdesk/zendesk")
        with worker(c, 1) as process:
            run_id = start_run(api, "poll-helpdesk/zendesk")
            wait_running(api, run_id)
            took = seconds_to_stop(process, signal.SIGTERM)
        log = c.worker_logs[0].read_text()
    assert took < PROMPT_S, f"{took:.1f} s\n{log[-3000:]}"
    assert "RuntimeWarning" not in log


def ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as for `cmd &` in a script, or nohup


@pytest.mark.parametrize(
    ("sig", "group", "started"),
    [
        (signal.SIGTERM, True, None),
        (signal.SIGTERM, False, None),
        (signal.SIGTERM, False, ignoring_sigint),
        (signal.SIGINT, True, None),
    ],
    ids=["systemd-stop", "kill-pid", "kill-pid-in-background", "ctrl-c"],
)
def test_care_serve_stops_promptly_while_a_poll_waits_out_a_rate_limit(
    tmp_path, sig, group, started
):
    home = tmp_path / "prefect"
    home.mkdir()
    with throttled_zendesk() as zendesk, prefect_server(home) as api:
        env = prefect_env(home, api, care_env(tmp_path, zendesk))
        serve = subprocess.Popen(
            [sys.executable, "-m", "care", "serve"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=started,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    run_id = start_run(api, "poll-helpdesk/serve-zendesk")
                    break
                except Exception:
                    assert time.monotonic() < deadline, "care serve registered nothing"
                    time.sleep(1)
            wait_running(api, run_id)
            took = seconds_to_stop(serve, sig, group)
        finally:
            if serve.poll() is None:
                os.killpg(serve.pid, signal.SIGKILL)
            output = serve.stdout.read()
    assert took < PROMPT_S, f"{took:.1f} s\n{output[-3000:]}"
    assert "RuntimeWarning" not in output, output[-3000:]
    assert output.rstrip().endswith("stopped") and serve.returncode == 0, output[-3000:]
    if sig == signal.SIGTERM:  # Ctrl-C reaches the flow-run process too, and Prefect logs
        assert "Traceback" not in output, output[-3000:]  # its crash with a traceback
