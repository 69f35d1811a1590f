"""The deployments and their schedules, named once (SPEC §5).

`deployments/prefect.yaml` declares the same for `prefect deploy --all` (a test
keeps the two equal), and `care serve` runs them in one process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WORK_POOL = "care"  # a process work pool: `prefect work-pool create care --type process`


@dataclass(frozen=True)
class Schedule:
    flow: str  # the flow's name
    entrypoint: str
    name: str  # the deployment's name: "<flow>/<name>"
    interval_s: int | None = None
    cron: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def poll(helpdesk: str) -> Schedule:
    return Schedule(
        flow="poll-helpdesk",
        entrypoint="flows/poll.py:poll_helpdesk",
        name=helpdesk,
        interval_s=300,
        parameters={"helpdesk": helpdesk},
        description=f"Read what changed in {helpdesk}, apply the CARE rules, write back once.",
    )


SURVEYS = Schedule(
    flow="dispatch-surveys",
    entrypoint="flows/surveys.py:dispatch_surveys",
    name="every-15-min",
    interval_s=900,
    description="Send the surveys that are due; write back answers the helpdesk missed.",
)

REPORT = Schedule(
    flow="care-report",
    entrypoint="flows/report.py:care_report",
    name="daily",
    cron="0 6 * * *",
    parameters={"days": 7},
    description="The CARE metrics of the last 7 days, per helpdesk and group.",
)


def schedules(helpdesks: list[str]) -> list[Schedule]:
    """Every deployment for these helpdesks; one poll each, never two at once."""
    return [*(poll(name) for name in helpdesks), SURVEYS, REPORT]
