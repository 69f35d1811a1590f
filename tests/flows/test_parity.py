"""One scenario history, two helpdesks: CARE decides the same on Zendesk and Freshdesk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from care.store import ActionState, Store
from flows.poll import poll_helpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.scenarios import HISTORY_ROUNDS, SCENARIOS, replay_round
from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import configure

pytestmark = pytest.mark.usefixtures("prefect_server")

HELPDESKS = ("zendesk", "freshdesk")
NAMES = {sc.ticket_id: name for name, sc in SCENARIOS.items()}


@pytest.fixture
def sandboxes() -> Iterator[dict[str, ZendeskSandbox | FreshdeskSandbox]]:
    # The scenarios sit a minute either side of the SLA; anchored 50 s ahead of the
    # real clock CARE reads, they stay on their side for the next two minutes.
    anchor = datetime.now(UTC) + timedelta(seconds=50)
    count = len(SCENARIOS)
    with (
        ZendeskSandbox(tickets=count, now=anchor, job_delay_ms=5) as zendesk,
        FreshdeskSandbox(tickets=count, now=anchor, job_delay_ms=5) as freshdesk,
    ):
        yield {"zendesk": zendesk, "freshdesk": freshdesk}


def decisions(store: Store, helpdesk: str) -> set[tuple[str, str]]:
    return {
        (NAMES[int(a.ticket_id)], a.rule)
        for a in store.recent_actions(limit=10_000)
        if a.helpdesk == helpdesk
    }


def test_the_scenario_history_yields_the_same_decisions_on_both_helpdesks(
    sandboxes, database_url, tmp_path, monkeypatch
):
    configure(monkeypatch, tmp_path, sandboxes["zendesk"], database_url)
    monkeypatch.setenv("CARE_FRESHDESK_URL", sandboxes["freshdesk"].url)
    monkeypatch.setenv("CARE_FRESHDESK_API_KEY", sandboxes["freshdesk"].api_key)

    runs = {name: [poll_helpdesk(helpdesk=name)] for name in HELPDESKS}
    for round_no in range(1, HISTORY_ROUNDS + 1):  # agents at work between polls
        for name, sandbox in sandboxes.items():
            assert replay_round(sandbox, round_no) > 0
            sandbox.advance(61)  # past Zendesk's one-minute export delay
            runs[name].append(poll_helpdesk(helpdesk=name))

    expected = {(name, rule) for name, sc in SCENARIOS.items() for rule in sc.rules}
    with Store.open(database_url) as store:
        zendesk, freshdesk = decisions(store, "zendesk"), decisions(store, "freshdesk")
        states = {a.state for a in store.recent_actions(limit=10_000)}
    assert zendesk == freshdesk
    assert zendesk == expected
    assert states <= {ActionState.APPLIED}
    assert all(run.failed == 0 for rs in runs.values() for run in rs)
