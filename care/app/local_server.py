"""A `prefect server` child process for `care serve` when no PREFECT_API_URL is set.

Prefect's temporary (ephemeral) server has no scheduler, so deployments served against it
never run. `care serve` starts a real one on loopback instead, with its SQLite database in
PREFECT_HOME (kept between restarts), and stops it when it stops.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

START_TIMEOUT_S = 120  # a first start creates and migrates the database


class LocalServerError(RuntimeError):
    """The local Prefect server could not start; the message says what to do."""


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, if any."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or None


@contextmanager
def local_prefect_server(port: int, log_path: Path) -> Iterator[str]:
    """`prefect server start` on 127.0.0.1:`port`, its output in `log_path`; the API URL."""
    if _in_use(port):
        raise LocalServerError(
            f"port {port} on 127.0.0.1 is taken: if a Prefect server runs there, "
            f"export PREFECT_API_URL=http://127.0.0.1:{port}/api; else choose another with "
            "--prefect-port"
        )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    prefect = str(Path(sys.executable).with_name("prefect"))
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches us; we stop it in order
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_healthy(api, process, log_path)
        yield api
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM to the whole process group (a server's or worker's children too), then
    SIGKILL after `grace_s` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_healthy(
    api: str, process: subprocess.Popen, log_path: Path, timeout: float = START_TIMEOUT_S
) -> None:
    """Until the server at `api` answers its health check; `LocalServerError` if it exits
    or stays silent for `timeout` seconds (the message ends with the tail of its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LocalServerError(
                f"the Prefect server exited at start; its log: {log_path}{_tail(log_path)}"
            )
        try:
            if requests.get(f"{api}/health", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise LocalServerError(
        f"the Prefect server did not answer within {timeout:.0f} s; its log: {log_path}"
        + _tail(log_path)
    )


def _tail(log_path: Path) -> str:
    try:
        return "\n" + log_path.read_text(errors="replace")[-3000:]
    except OSError:
        return ""
