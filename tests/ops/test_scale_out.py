"""Scale-out on Prefect itself: a Prefect server on PostgreSQL, two workers, the CARE store
on PostgreSQL, two sandbox helpdesks polled at once under one shared API budget each.

Proves what docs/operations.md promises: every ticket processed, no action applied twice,
no helpdesk's budget ever exceeded (the sandboxes count every request and the busiest
minute), and polls of one helpdesk never overlapping (a second run is cancelled).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.http import busiest_minute
from sandboxes.zendesk import ZendeskSandbox
from tests.databases import PG_URL, postgresql_database, postgresql_schema
from tests.flows.environment import settled_past
from tests.ops.cluster import cluster

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CARE_TEST_DATABASE_URL)"),
]

ZENDESK_TICKETS, FRESHDESK_TICKETS = 150, 60
ZENDESK_BUDGET, FRESHDESK_BUDGET = 300, 150  # a minute, as the sandboxes enforce them too
CONFIG = """
[zendesk]
api_budget_per_minute = {zendesk}
[freshdesk]
api_budget_per_minute = {freshdesk}
[survey]
outbox_dir = "{outbox}"
"""


def care_env(tmp_path: Path, store_url: str, zendesk, freshdesk) -> dict[str, str]:
    config = tmp_path / "care.toml"
    config.write_text(
        CONFIG.format(
            zendesk=ZENDESK_BUDGET, freshdesk=FRESHDESK_BUDGET, outbox=tmp_path / "outbox"
        )
    )
    return {
        "CARE_CONFIG": str(config),
        "CARE_DATABASE_URL": store_url,
        "CARE_ZENDESK_URL": zendesk.url,
        "CARE_ZENDESK_CLIENT_ID": zendesk.client_id,
        "CARE_ZENDESK_CLIENT_SECRET": zendesk.client_secret,
        "CARE_FRESHDESK_URL": freshdesk.url,
        "CARE_FRESHDESK_API_KEY": freshdesk.api_key,
        "CARE_SURVEY_SECRET": "scale-out-signing-key-0123456789",
        "CARE_SURVEY_BASE_URL": "https://survey.acme.example",
    }


def run_all(api_url: str, names: list[str], timeout: float = 600) -> list:
    """Start the deployments' runs at once; wait until each is final; the runs."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        runs = [run_deployment(name, timeout=0) for name in names]
        deadline = time.monotonic() + timeout
        with get_client(sync_client=True) as client:
            while True:
                runs = [client.read_flow_run(r.id) for r in runs]
                if all(r.state is not None and r.state.is_final() for r in runs):
                    return runs
                assert time.monotonic() < deadline, [str(r.state) for r in runs]
                time.sleep(1)


def care_refs(bodies: list[str]) -> Counter[str]:
    return Counter(b.rsplit("ref ", 1)[-1].strip()[:10] for b in bodies if "· ref " in b)


def test_two_workers_poll_two_helpdesks_at_once_within_their_budgets(tmp_path):
    anchor = settled_past()
    with (
        postgresql_database() as prefect_db,
        postgresql_schema() as store_url,
        ZendeskSandbox(
            tickets=ZENDESK_TICKETS,
            now=anchor,
            job_delay_ms=5,
            latency_ms=1500,  # a poll of some seconds, so that the two runs' overlap shows
            rate_limit_per_minute=ZENDESK_BUDGET,
        ) as zendesk,
        FreshdeskSandbox(
            tickets=FRESHDESK_TICKETS,
            now=anchor,
            job_delay_ms=5,
            rate_limit_per_minute=FRESHDESK_BUDGET,
        ) as freshdesk,
        cluster(tmp_path, prefect_db, care_env(tmp_path, store_url, zendesk, freshdesk), 2) as c,
    ):
        started = time.monotonic()
        first = run_all(
            c.api_url,
            [
                "poll-helpdesk/zendesk",
                "poll-helpdesk/freshdesk",
                "poll-helpdesk/freshdesk",  # due again while the first still runs
                "dispatch-surveys/every-15-min",
            ],
        )
        first_seconds = time.monotonic() - started
        zendesk.advance(61)  # our own updates become visible in Zendesk's export
        freshdesk.advance(61)
        second = run_all(c.api_url, ["poll-helpdesk/zendesk", "poll-helpdesk/freshdesk"])

        engine = create_engine(store_url)
        with engine.connect() as conn:
            seen = dict(
                conn.execute(
                    text("SELECT helpdesk, count(*) FROM ticket_snapshots GROUP BY helpdesk")
                ).all()
            )
            states = dict(
                conn.execute(text("SELECT state, count(*) FROM action_log GROUP BY state")).all()
            )
        engine.dispose()
        zendesk_refs = care_refs(
            [
                c["body"]
                for i in range(1, ZENDESK_TICKETS + 1)
                for c in zendesk.comments(i)
                if c["body"].startswith("[CARE]")
            ]
        )
        freshdesk_refs = care_refs(
            [n["body_text"] for i in range(1, FRESHDESK_TICKETS + 1) for n in freshdesk.notes(i)]
        )
        worker_logs = [path.read_text() for path in c.worker_logs]

    states_of = Counter(r.state.type.value for r in first)
    assert states_of == {"COMPLETED": 3, "CANCELLED": 1}, [str(r.state) for r in first]
    assert all(r.state.is_completed() for r in second), [str(r.state) for r in second]
    assert seen == {"zendesk": ZENDESK_TICKETS, "freshdesk": FRESHDESK_TICKETS}
    assert set(states) == {"applied"}  # every decision applied, none left or failed
    assert zendesk_refs and set(zendesk_refs.values()) == {1}  # no note written twice
    assert freshdesk_refs and set(freshdesk_refs.values()) == {1}
    assert zendesk.throttled == freshdesk.throttled == 0
    assert busiest_minute(zendesk.spending) <= ZENDESK_BUDGET
    assert busiest_minute(freshdesk.spending) <= FRESHDESK_BUDGET
    spent = sum(cost for _, cost in freshdesk.spending)
    assert spent > FRESHDESK_BUDGET  # the budget did bind: more than a minute's worth
    zendesk_run, freshdesk_run = first[0], next(r for r in first[1:3] if r.state.is_completed())
    assert zendesk_run.start_time < freshdesk_run.end_time  # the two helpdesks polled at once
    assert freshdesk_run.start_time < zendesk_run.end_time
    ran_by = [log.count("submitting flow run") for log in worker_logs]
    assert all(ran_by), f"flow runs submitted by each worker: {ran_by}"
    print(
        f"scale-out: first round {first_seconds:.0f} s; freshdesk {spent} credits, busiest "
        f"minute {busiest_minute(freshdesk.spending)} of {FRESHDESK_BUDGET}; zendesk "
        f"{len(zendesk.spending)} requests, busiest minute {busiest_minute(zendesk.spending)}; "
        f"runs submitted by each worker {ran_by}"
    )
