"""The schedules in deployments/prefect.yaml really fire: a Prefect server with its scheduler
on, `prefect deploy --all`, and a worker that picks up a scheduled run and completes it.

Nothing else in the suite waits for the scheduler (the scale-out test starts its runs by
hand), and a broken scheduler looks healthy everywhere but in the server's log: with
SQLAlchemy 2.1 under Prefect 3.8 every deployment showed READY and no run was ever made.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import create_engine, text

from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import settled_past
from tests.ops.cluster import ROOT, Cluster, prefect_server, worker

pytestmark = pytest.mark.slow

TEST_INTERVAL_S = 20  # poll-helpdesk/zendesk only; the others keep their real schedules


def shortened_prefect_yaml(path: Path) -> Path:
    """deployments/prefect.yaml as it is, but for a 20-second Zendesk poll interval."""
    spec = yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())
    (zendesk,) = (d for d in spec["deployments"] if d["parameters"] == {"helpdesk": "zendesk"})
    zendesk["schedules"] = [{"interval": TEST_INTERVAL_S}]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def flow_runs(api_url: str) -> list[dict]:
    answer = requests.post(f"{api_url}/flow_runs/filter", json={"limit": 200}, timeout=10)
    answer.raise_for_status()
    return answer.json()


def deployment_names(api_url: str) -> dict[str, str]:
    """deployment id → "<flow>/<deployment>"."""
    answer = requests.post(f"{api_url}/deployments/filter", json={}, timeout=10)
    answer.raise_for_status()
    flows = requests.post(f"{api_url}/flows/filter", json={}, timeout=10).json()
    flow_names = {f["id"]: f["name"] for f in flows}
    return {d["id"]: f"{flow_names[d['flow_id']]}/{d['name']}" for d in answer.json()}


def wait_for(condition, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"{what} within {timeout:.0f} s; server log:\n{log.read_text()[-4000:]}")


def test_the_scheduler_creates_runs_and_a_worker_completes_one(tmp_path):
    store_url = f"sqlite:///{tmp_path / 'care.db'}"
    (tmp_path / "care.toml").write_text(f'[survey]\noutbox_dir = "{tmp_path / "outbox"}"\n')
    home = tmp_path / "prefect"
    home.mkdir()
    with (
        ZendeskSandbox(tickets=20, now=settled_past()) as zendesk,
        prefect_server(home, scheduler=True) as api,
    ):
        c = Cluster(
            home,
            api,
            {
                "CARE_CONFIG": str(tmp_path / "care.toml"),
                "CARE_DATABASE_URL": store_url,
                "CARE_ZENDESK_URL": zendesk.url,
                "CARE_ZENDESK_CLIENT_ID": zendesk.client_id,
                "CARE_ZENDESK_CLIENT_SECRET": zendesk.client_secret,
                "CARE_SURVEY_SECRET": "schedule-test-signing-key-0123456789",
            },
        )
        c.cli("work-pool", "create", "care", "--type", "process")
        c.cli("deploy", "--all", "--prefect-file", str(shortened_prefect_yaml(tmp_path / "p.yaml")))
        deployed, deployed_at = time.monotonic(), datetime.now(UTC)
        names = deployment_names(api)
        assert sorted(names.values()) == [
            "care-report/daily",
            "care-report/weekly-digest",
            "dispatch-surveys/every-15-min",
            "poll-helpdesk/freshdesk",
            "poll-helpdesk/zendesk",
            "proactive-outreach/every-5-min",
        ]

        def scheduled_for_every_deployment() -> bool:
            scheduled = {
                r["deployment_id"] for r in flow_runs(api) if r["state_type"] == "SCHEDULED"
            }
            return scheduled >= set(names)

        wait_for(scheduled_for_every_deployment, 60, "no scheduled run", home / "server.log")

        zendesk_poll = next(i for i, n in names.items() if n == "poll-helpdesk/zendesk")

        def completed_poll() -> dict | None:
            return next(
                (
                    r
                    for r in flow_runs(api)
                    if r["deployment_id"] == zendesk_poll and r["state_type"] == "COMPLETED"
                ),
                None,
            )

        with worker(c, 1):
            run = wait_for(completed_poll, 150, "no scheduled poll completed", home / "server.log")
        assert run["auto_scheduled"] is True  # made by the scheduler, not started by hand
        assert time.monotonic() - deployed < 150
        due = datetime.fromisoformat(run["expected_start_time"])
        assert due - deployed_at < timedelta(seconds=TEST_INTERVAL_S + 5)  # within one interval

    engine = create_engine(store_url)
    with engine.connect() as conn:
        seen = conn.execute(text("SELECT count(*) FROM ticket_snapshots")).scalar_one()
        applied = conn.execute(
            text("SELECT count(*) FROM action_log WHERE state = 'applied'")
        ).scalar_one()
    engine.dispose()
    # The scheduled run polled the helpdesk for real: 20 filler tickets and the named
    # scenarios read, and the rules' actions written back.
    assert seen > 20 and applied > 0
