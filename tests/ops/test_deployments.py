"""deployments/prefect.yaml is the one declaration of the deployments: `prefect deploy`
and `care serve` run the same schedules from it, one run at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from prefect import Flow

from care.app.schedules import (
    DEPLOYMENTS_FILE,
    DeploymentsFileError,
    declared_schedules,
    flow_name,
    schedules,
)
from care.app.serve import load_flow, runner_deployments
from care.settings.load import load_settings

ROOT = Path(__file__).parents[2]
HELPDESKS = ["zendesk", "freshdesk"]  # SPEC: a poll deployment for each
BOTH = {
    "CARE_ZENDESK_URL": "https://acme.zendesk.com",
    "CARE_ZENDESK_OAUTH_TOKEN": "t",
    "CARE_FRESHDESK_URL": "https://acme.freshdesk.com",
    "CARE_FRESHDESK_API_KEY": "k",
    "CARE_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/x",  # the digest's
}


def rows() -> list[dict]:
    """The file as Prefect reads it, parsed here independently of care.app.schedules."""
    return yaml.safe_load((ROOT / "deployments" / "prefect.yaml").read_text())["deployments"]


def settings_for(tmp_path: Path, env: dict[str, str]):
    (tmp_path / "none.toml").write_text("")
    return load_settings(tmp_path / "none.toml", env=env)


def test_the_repo_root_prefect_yaml_is_the_deployments_one():
    assert (ROOT / "deployments" / "prefect.yaml").resolve() == DEPLOYMENTS_FILE
    assert (ROOT / "prefect.yaml").resolve() == DEPLOYMENTS_FILE.resolve()


def test_prefect_yaml_declares_a_poll_per_helpdesk_and_the_others_once():
    declared = rows()
    polls = [d for d in declared if "helpdesk" in (d.get("parameters") or {})]
    assert [d["parameters"]["helpdesk"] for d in polls] == HELPDESKS
    assert {d["entrypoint"] for d in polls} == {"flows/poll.py:poll_helpdesk"}
    assert [d["name"] for d in polls] == HELPDESKS
    others = [d["entrypoint"] for d in declared if d not in polls]
    assert sorted(others) == [
        "flows/outreach.py:proactive_outreach",
        "flows/report.py:care_report",  # daily
        "flows/report.py:care_report",  # the weekly digest
        "flows/surveys.py:dispatch_surveys",
    ]
    for row in declared:
        assert row["concurrency_limit"] == {"limit": 1, "collision_strategy": "CANCEL_NEW"}
        assert row["work_pool"]["name"] == "care"  # the pool docs/operations.md creates


def test_care_serve_runs_what_prefect_yaml_declares(tmp_path):
    """Every deployment `care serve` registers, field by field, against the file's rows."""
    served = runner_deployments(settings_for(tmp_path, BOTH))
    declared = rows()
    assert [d.name for d in served] == [f"serve-{row['name']}" for row in declared]
    for deployment, row in zip(served, declared, strict=True):
        assert deployment.entrypoint == row["entrypoint"]
        assert deployment.parameters == row["parameters"]
        assert deployment.description == row["description"]
        assert deployment.concurrency_limit == row["concurrency_limit"]["limit"] == 1
        assert deployment.concurrency_options.collision_strategy == "CANCEL_NEW"
        (when,) = row["schedules"]
        (served_when,) = [s.schedule for s in deployment.schedules]
        if "interval" in when:
            assert served_when.interval.total_seconds() == when["interval"]
        else:
            assert served_when.cron == when["cron"]
            assert when["timezone"] == "UTC" and served_when.timezone in (None, "UTC")


def test_every_entrypoint_is_the_flow_of_its_name():
    declared = declared_schedules()
    assert [s.entrypoint for s in declared] == [row["entrypoint"] for row in rows()]
    for schedule in declared:
        flow = load_flow(schedule)
        assert isinstance(flow, Flow)
        assert flow.name == schedule.flow
    flows = {"poll-helpdesk", "dispatch-surveys", "care-report", "proactive-outreach"}
    assert {s.flow for s in declared} == flows


def test_care_serve_polls_only_the_configured_helpdesks(tmp_path):
    env = {k: v for k, v in BOTH.items() if "FRESHDESK" in k}
    names = [d.name for d in runner_deployments(settings_for(tmp_path, env))]
    assert names == ["serve-freshdesk", "serve-every-15-min", "serve-daily", "serve-every-5-min"]
    assert [s.name for s in schedules([], alerts=False)] == ["every-15-min", "daily", "every-5-min"]
    everything = ["every-15-min", "daily", "weekly-digest", "every-5-min"]
    assert [s.name for s in schedules([])] == everything  # the digest: with an alert channel
    assert [s.name for s in schedules(["freshdesk", "zendesk"])][:2] == ["freshdesk", "zendesk"]


def deployments_file(tmp_path: Path, change) -> Path:
    spec = yaml.safe_load(DEPLOYMENTS_FILE.read_text())
    change(spec["deployments"])
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_a_missing_deployments_file_is_named_in_the_error(tmp_path):
    with pytest.raises(DeploymentsFileError, match=r"nowhere\.yaml is missing"):
        schedules(HELPDESKS, tmp_path / "nowhere.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda ds: ds.pop(1), r"0 poll deployments .*freshdesk"),
        (lambda ds: ds.append(dict(ds[0])), r"2 poll deployments .*zendesk"),
        (lambda ds: ds[3]["schedules"][0].update(timezone="Europe/Paris"), "in UTC only"),
        (lambda ds: ds[2]["schedules"].append({"interval": 60}), "exactly one schedule"),
        (lambda ds: ds[2].update(concurrency_limit=2), "concurrency_limit"),
        (lambda ds: ds[2].update(entrypoint="flows/surveys.py:nothing"), "no function nothing"),
    ],
)
def test_what_care_serve_cannot_run_as_declared_is_refused(tmp_path, change, message):
    path = deployments_file(tmp_path, change)
    with pytest.raises(DeploymentsFileError, match=message):
        schedules(HELPDESKS, path)


def test_a_flow_is_named_as_prefect_names_it(tmp_path):
    (tmp_path / "f.py").write_text(
        "from prefect import flow\nimport prefect\n"
        "@flow\ndef plain_one(): ...\n"
        "@prefect.flow(name='given', log_prints=False)\ndef other(): ...\n"
        "def not_a_flow(): ...\n"
    )
    assert flow_name("f.py:plain_one", tmp_path) == "plain-one"
    assert flow_name("f.py:other", tmp_path) == "given"
    with pytest.raises(DeploymentsFileError, match="not_a_flow"):
        flow_name("f.py:not_a_flow", tmp_path)


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
