"""`care serve`: every deployment on its schedule in this one process (Prefect `serve`).

For a small team: no work pool and no worker, one process next to a Prefect server
(or Prefect Cloud), or, with no PREFECT_API_URL, next to a `prefect server` it starts
itself (Prefect's temporary server has no scheduler: nothing would ever run). The same
schedules as deployments/prefect.yaml, one poll per configured helpdesk, each deployment
one run at a time, under names of their own (`poll-helpdesk/serve-zendesk`): served and
`prefect deploy` deployments must not overwrite each other.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import signal
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

from care.app.local_server import configured_api_url, local_prefect_server
from care.app.schedules import Schedule, schedules
from care.settings.load import Settings

SERVED_PREFIX = "serve-"


class ServeConflict(RuntimeError):
    """The Prefect server already runs CARE through workers; the message says what to do."""


def served_name(schedule: Schedule) -> str:
    return f"{SERVED_PREFIX}{schedule.name}"


def runner_deployments(settings: Settings) -> list[Any]:
    """The `RunnerDeployment`s `care serve` runs, for the helpdesks configured."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    return [
        load_flow(s).to_deployment(
            name=served_name(s),
            interval=s.interval_s,
            cron=s.cron,
            parameters=s.parameters,
            concurrency_limit=one_at_a_time,
            description=s.description,
        )
        for s in schedules(settings.helpdesk_names(), alerts=settings.alerts.enabled)
    ]


def load_flow(schedule: Schedule) -> Any:
    path, _, attribute = schedule.entrypoint.partition(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, attribute)


def worker_deployments(settings: Settings) -> list[str]:
    """CARE deployments on the server that run through a work pool on an active schedule:
    `prefect deploy` ones, which would poll the same helpdesks a second time."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    planned = schedules(settings.helpdesk_names(), alerts=settings.alerts.enabled)
    with get_client(sync_client=True) as client:
        flows = {
            f.id: f.name
            for f in client.read_flows(
                flow_filter=FlowFilter(name=FlowFilterName(any_=sorted({s.flow for s in planned})))
            )
        }
        deployments = client.read_deployments(
            flow_filter=FlowFilter(name=FlowFilterName(any_=sorted(set(flows.values()))))
        )
    return sorted(
        f"{flows[d.flow_id]}/{d.name}"
        for d in deployments
        if d.work_pool_name and not d.paused and d.schedules and d.flow_id in flows
    )


def refuse_beside_workers(settings: Settings) -> None:
    """Raise `ServeConflict` when the server's workers already run CARE on a schedule."""
    busy = worker_deployments(settings)
    if busy:
        raise ServeConflict(
            f"this Prefect server already runs CARE through workers ({', '.join(busy)}): "
            "run either workers or `care serve`, not both (each would poll the helpdesks). "
            "Pause their schedules (prefect deployment schedule pause) or point "
            "PREFECT_API_URL at another server"
        )


def serve_until_stopped(settings: Settings, prefect_port: int, say: Callable[[str], None]) -> None:
    """`care serve`: the Prefect server to use (one started on `prefect_port` when no
    PREFECT_API_URL is set, stopped again at the end), then every deployment on its
    schedule until SIGINT or SIGTERM. `say` shows the operator what is served where.

    Raises `LocalServerError` or `ServeConflict`, each saying what to do.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_HOME, PREFECT_UI_URL, temporary_settings

    # Until the runner takes over SIGTERM, it stops the start-up the way Ctrl-C does, so
    # the Prefect server started here is stopped too, not left behind.
    signal.signal(signal.SIGTERM, _interrupt)
    with suppress(KeyboardInterrupt), ExitStack() as stack:
        api = configured_api_url()
        if api is None:
            log = Path(PREFECT_HOME.value()) / "care-serve-server.log"
            say(
                f"No PREFECT_API_URL: starting a Prefect server on 127.0.0.1:{prefect_port} "
                f"(log: {log})"
            )
            api = stack.enter_context(local_prefect_server(prefect_port, log))
            os.environ["PREFECT_API_URL"] = api  # for the flow-run processes too
            stack.enter_context(temporary_settings({PREFECT_API_URL: api}))
        refuse_beside_workers(settings)
        for s in schedules(settings.helpdesk_names(), alerts=settings.alerts.enabled):
            when = f"every {s.interval_s // 60} min" if s.interval_s else f"cron {s.cron} UTC"
            say(f"serving {s.flow}/{served_name(s)} · {when}")
        say(f"Prefect UI: {PREFECT_UI_URL.value() or api} · Ctrl-C to stop")
        _serve(settings)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _serve(settings: Settings) -> None:
    """Register the deployments and run them on schedule until SIGINT or SIGTERM."""
    runner = _runner_class()(pause_on_shutdown=True)
    for deployment in runner_deployments(settings):
        runner.add_deployment(deployment)
    # Ctrl-C or SIGTERM: the runner has stopped, and paused its schedules.
    before = signal.getsignal(signal.SIGTERM)
    try:
        with suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(runner.start())
    finally:  # the runner's handler needs its loop, which is gone now
        signal.signal(signal.SIGTERM, before)


def _runner_class() -> type:
    from prefect.runner import Runner

    class PromptRunner(Runner):
        """Stops at once on SIGTERM or Ctrl-C, running flows included.

        Prefect's own SIGTERM handler calls a coroutine it never awaits (a RuntimeWarning)
        and leaves the loops running, and on Ctrl-C the runner waits for its flow-run
        processes to finish on their own: a poll waiting out a rate limit took minutes.
        Here SIGTERM cancels the runner as Ctrl-C does (even where SIGINT is ignored, as
        for a command started with `&` in a script), and the runner passes the SIGTERM on
        to its flow-run processes before it waits for them; an interrupted run ends
        Crashed and its recorded actions are applied by the next run.
        """

        _main: asyncio.Task | None = None

        async def start(self, *args: Any, **kwargs: Any) -> None:
            self._main = asyncio.current_task()
            await super().start(*args, **kwargs)

        def handle_sigterm(self, *args: Any, **kwargs: Any) -> None:
            if self._main is not None:
                self._main.get_loop().call_soon_threadsafe(self._main.cancel)

        async def __aexit__(self, *exc_info: Any) -> None:
            for entry in list(self._flow_run_process_map.values()):
                with suppress(ProcessLookupError):
                    os.kill(entry["pid"], signal.SIGTERM)
            await super().__aexit__(*exc_info)

    return PromptRunner
