"""The deployments and their schedules, as deployments/prefect.yaml declares them (SPEC §5).

That file is the one place they are named: `prefect deploy --all` reads it for the
workers, and `care serve` reads it here and runs them in one process. A deployment
with a `helpdesk` parameter is that helpdesk's poll, served only when the helpdesk is
configured; one with `digest: true` (the weekly digest) only when an alert channel is
configured, as it has nowhere else to go; every other deployment is always served. A
flow's name is the `name=` of
the `@flow` its entrypoint points at, read from the source without importing it.

What `care serve` cannot run as declared (more than one schedule, a cron outside UTC,
a concurrency limit other than one run at a time with CANCEL_NEW) is refused with an
error naming the file, rather than served differently from the workers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]  # the checkout (installed editable: pip install -e)
DEPLOYMENTS_FILE = ROOT / "deployments" / "prefect.yaml"

ONE_AT_A_TIME = {"limit": 1, "collision_strategy": "CANCEL_NEW"}  # what `care serve` applies


class DeploymentsFileError(RuntimeError):
    """deployments/prefect.yaml is missing or declares what `care serve` cannot run."""


@dataclass(frozen=True)
class Schedule:
    flow: str  # the flow's name
    entrypoint: str
    name: str  # the deployment's name: "<flow>/<name>"
    interval_s: int | None = None
    cron: str | None = None  # in UTC
    parameters: dict[str, Any] = field(default_factory=dict)
    description: str = ""


def schedules(
    helpdesks: list[str], path: Path = DEPLOYMENTS_FILE, *, alerts: bool = True
) -> list[Schedule]:
    """Every deployment for these helpdesks: their polls, in this order, then the others
    (the digest only with `alerts`, an alert channel configured).

    Raises `DeploymentsFileError` when a helpdesk has no poll declared (or two)."""
    declared = declared_schedules(path)
    polls: dict[str, list[Schedule]] = {}
    for s in declared:
        if "helpdesk" in s.parameters:
            polls.setdefault(s.parameters["helpdesk"], []).append(s)
    chosen = []
    for helpdesk in helpdesks:
        found = polls.get(helpdesk, [])
        if len(found) != 1:
            raise DeploymentsFileError(
                f"{path} declares {len(found)} poll deployments with parameters "
                f"{{helpdesk: {helpdesk}}}; `care serve` needs exactly one"
            )
        chosen.extend(found)
    others = [s for s in declared if "helpdesk" not in s.parameters]
    return [*chosen, *(s for s in others if alerts or not s.parameters.get("digest"))]


def declared_schedules(path: Path = DEPLOYMENTS_FILE) -> list[Schedule]:
    """Every deployment in the file, in its order, whichever helpdesks are configured."""
    return [_schedule(path, row) for row in load_deployments(path)]


def load_deployments(path: Path = DEPLOYMENTS_FILE) -> list[dict[str, Any]]:
    """The file's `deployments:` as parsed, anchors resolved."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise DeploymentsFileError(
            f"{path} is missing: `care serve` reads its deployments and schedules from it "
            "(run from a checkout of the repository, installed with `pip install -e .`)"
        ) from None
    try:
        spec = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DeploymentsFileError(f"{path} is not valid YAML: {error}") from None
    rows = spec.get("deployments") if isinstance(spec, dict) else None
    if not isinstance(rows, list) or not rows:
        raise DeploymentsFileError(f"{path} declares no `deployments:`")
    return rows


def _schedule(path: Path, row: dict[str, Any]) -> Schedule:
    name = row.get("name") if isinstance(row, dict) else None
    where = f"{path}, deployment {name!r}"
    try:
        entrypoint = row["entrypoint"]
        (when,) = row["schedules"]
    except (KeyError, TypeError, ValueError):
        raise DeploymentsFileError(
            f"{where}: needs a name, an entrypoint and exactly one schedule"
        ) from None
    if not isinstance(name, str) or not isinstance(when, dict):
        raise DeploymentsFileError(f"{where}: needs a name, an entrypoint and exactly one schedule")
    interval, cron = when.get("interval"), when.get("cron")
    if (interval is None) == (cron is None):
        raise DeploymentsFileError(f"{where}: a schedule has either an interval or a cron")
    if cron is not None and when.get("timezone") != "UTC":
        raise DeploymentsFileError(f"{where}: `care serve` runs cron schedules in UTC only")
    if row.get("concurrency_limit") != ONE_AT_A_TIME:
        raise DeploymentsFileError(f"{where}: concurrency_limit must be {ONE_AT_A_TIME}")
    return Schedule(
        flow=flow_name(entrypoint),
        entrypoint=entrypoint,
        name=name,
        interval_s=interval,
        cron=cron,
        parameters=dict(row.get("parameters") or {}),
        description=row.get("description") or "",
    )


def flow_name(entrypoint: str, root: Path = ROOT) -> str:
    """The name of the flow at `entrypoint` ("flows/poll.py:poll_helpdesk"), as Prefect
    names it: `@flow(name=...)`, else the function's name with `-` for `_`."""
    file, _, function = entrypoint.partition(":")
    source = root / file
    try:
        tree = ast.parse(source.read_text(), filename=str(source))
    except FileNotFoundError:
        raise DeploymentsFileError(f"entrypoint {entrypoint}: {source} is missing") from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == function:
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                target = call.func if call else decorator
                if _dotted(target) not in ("flow", "prefect.flow"):
                    continue
                for keyword in call.keywords if call else []:
                    if keyword.arg == "name":
                        if not isinstance(keyword.value, ast.Constant):
                            break
                        return keyword.value.value
                else:
                    return function.replace("_", "-")
            break
    raise DeploymentsFileError(
        f"entrypoint {entrypoint}: no function {function} decorated with @flow, "
        "or one whose name= is not a literal string"
    )


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""
