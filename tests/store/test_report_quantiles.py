"""First-response percentiles per scope from the store, on SQLite and PostgreSQL, against
the same percentiles worked out here (`Quantiles.of`) over a random history: every scope
of every period, from one ticket up. PostgreSQL finds the ranks by GROUPING SETS, SQLite
by window functions (`care.store.report_quantiles.first_response_quantiles`)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from care.domain.metrics import Quantiles, Thresholds
from care.domain.periods import ReportPeriods
from care.domain.scopes import Level, ScopeKey
from care.store import Store
from tests.rules.builders import ticket

END = datetime(2026, 3, 8, tzinfo=UTC)


def test_first_response_percentiles_match_the_definition_in_every_scope(store: Store) -> None:
    periods = ReportPeriods(END, days=7, weeks=3)
    rand = random.Random(7)
    tickets, durations = [], defaultdict(list)
    for n in range(400):
        created = END - timedelta(seconds=rand.randrange(0, 28 * 86400))
        helpdesk = rand.choice(["zendesk", "freshdesk"])
        group = rand.choice(["10", "20", "30", None])
        agent = rand.choice([*(f"a{i}" for i in range(30)), None])
        answered = None if rand.random() < 0.1 else timedelta(seconds=rand.randrange(0, 99999))
        t = ticket(
            helpdesk=helpdesk,
            id=str(n),
            group_id=group,
            assignee_id=agent,
            created_at=created,
            updated_at=END,
            first_agent_reply_at=created + answered if answered is not None else None,
            last_agent_reply_at=created + answered if answered is not None else None,
            last_requester_message_at=created,
        )
        tickets.append(t)
        if answered is None:
            continue
        seconds = answered.total_seconds()
        week = next((p.code for p in periods.trend if p.start <= created < p.end), None)
        if week is not None:  # older: before the trend, not read
            durations[ScopeKey(week, Level.ALL)].append(seconds)
        window = next((p.code for p in periods.windows if p.start <= created < p.end), None)
        if window is None:
            continue
        durations[ScopeKey(window, Level.ALL)].append(seconds)
        durations[ScopeKey(window, Level.HELPDESK, helpdesk)].append(seconds)
        durations[ScopeKey(window, Level.GROUP, helpdesk, group)].append(seconds)
        if agent is not None:
            durations[ScopeKey(window, Level.AGENT, helpdesk, agent=agent)].append(seconds)
    store.upsert_snapshots(tickets, END)

    scopes = store.report_scopes(periods, Thresholds())
    found = {k: v.first_response for k, v in scopes.items() if v.first_response.answered}
    assert found.keys() == durations.keys()
    assert {1, 2, 3} <= {len(v) for v in durations.values()}  # the smallest scopes too
    for key, values in durations.items():
        expected = Quantiles.of(values)
        assert found[key].answered == expected.answered, key
        assert found[key].p50 == pytest.approx(expected.p50), key
        assert found[key].p90 == pytest.approx(expected.p90), key
