"""A Prefect deployment the way operators run one, on loopback: `prefect server` on
PostgreSQL, a process work pool, `prefect deploy --all` from the repo root and
`prefect worker` processes. Everything started here is stopped again."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from care.app.local_server import stop_process_group, wait_healthy
from tests.ports import free_port

ROOT = Path(__file__).parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def asyncpg_url(url: str) -> str:
    """The same PostgreSQL database through the driver Prefect's server uses."""
    return url.replace("postgresql+psycopg://", "postgresql+asyncpg://", 1)


def prefect_env(home: Path, api_url: str | None, extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="INFO",
        **({"PREFECT_API_URL": api_url} if api_url else {}),
        **extra,
    )
    return env


class Cluster:
    def __init__(self, home: Path, api_url: str, care_env: Mapping[str, str]) -> None:
        self.home, self.api_url = home, api_url
        self.env = prefect_env(home, api_url, care_env)
        self.worker_logs: list[Path] = []

    def cli(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run(
            [PREFECT, "--no-prompt", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode:
            raise AssertionError(f"prefect {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout


@contextmanager
def prefect_server(
    home: Path, database_url: str | None = None, scheduler: bool = False
) -> Iterator[str]:
    """`prefect server start` on a free port; the API URL. Its database is on PostgreSQL
    when `database_url` is given, else Prefect's SQLite file in `home`. With `scheduler`
    off the test starts every run itself; on, the scheduler loops every second."""
    port = free_port()
    settings = {"PREFECT_SERVER_UI_ENABLED": "false"}
    if database_url:
        settings["PREFECT_API_DATABASE_CONNECTION_URL"] = asyncpg_url(database_url)
    if scheduler:
        settings["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "1"
    else:
        settings["PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED"] = "false"
    env = prefect_env(home, None, settings)
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        wait_healthy(api, process, home / "server.log")
        yield api
    finally:
        stop_process_group(process, grace_s=20)
        log.close()


@contextmanager
def cluster(home: Path, database_url: str, care_env: Mapping[str, str], workers: int):
    """A server, the `care` work pool, the deployments and `workers` workers."""
    with ExitStack() as stack:
        api = stack.enter_context(prefect_server(home, database_url))
        c = Cluster(home, api, care_env)
        c.cli("work-pool", "create", "care", "--type", "process")
        c.cli("deploy", "--all")
        for n in range(1, workers + 1):
            stack.enter_context(worker(c, n))
        yield c


@contextmanager
def worker(c: Cluster, n: int) -> Iterator[subprocess.Popen]:
    path = c.home / f"worker-{n}.log"
    c.worker_logs.append(path)
    log = path.open("w")
    process = subprocess.Popen(
        # Two runs each: four runs started at once are split between the workers, since
        # the second worker polls before the first can free a slot and poll again.
        [PREFECT, "worker", "start", "--pool", "care", "--name", f"worker-{n}", "--limit", "2"],
        env={**c.env, "PREFECT_WORKER_QUERY_SECONDS": "5"},
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        stop_process_group(process, grace_s=20)
        log.close()
