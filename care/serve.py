"""`care serve`: every deployment on its schedule in this one process (Prefect `serve`).

For a small team: no work pool and no worker, one process next to a Prefect server
(or Prefect Cloud). The same schedules as deployments/prefect.yaml, one poll per
configured helpdesk, each deployment one run at a time.
"""

from __future__ import annotations

import importlib
from typing import Any

from care.config import Settings
from care.schedules import Schedule, schedules


def runner_deployments(settings: Settings) -> list[Any]:
    """The `RunnerDeployment`s `care serve` runs, for the helpdesks configured."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    return [
        load_flow(s).to_deployment(
            name=s.name,
            interval=s.interval_s,
            cron=s.cron,
            parameters=s.parameters,
            concurrency_limit=one_at_a_time,
            description=s.description,
        )
        for s in schedules(settings.helpdesk_names())
    ]


def load_flow(schedule: Schedule) -> Any:
    path, _, attribute = schedule.entrypoint.partition(":")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    return getattr(module, attribute)


def serve_all(settings: Settings) -> None:
    from prefect import serve

    serve(*runner_deployments(settings), print_starting_message=False)
