"""The requester history the poll gives `assist.repeat_contact`: store + page, each ticket
once, only the window before each ticket (a monitoring system's thousands of tickets
must not be copied onto every one of them)."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

from care.domain.policy import Policy
from care.domain.rules.assist import repeat_contact
from tasks.poll import with_requester_history
from tests.rules.builders import DAY, NOW, ticket


class StoredTimes:
    def __init__(self, times: dict[str, list[tuple[str, datetime]]]) -> None:
        self.times = times

    def requester_ticket_times(self, helpdesk, requester_ids, since):
        return {r: [e for e in self.times.get(r, []) if e[1] >= since] for r in requester_ids}


def enrich(page, stored):
    policy = Policy()  # repeat contact: 3 tickets within 7 days
    ctx = SimpleNamespace(
        policy=policy, store=StoredTimes(stored), helpdesk=SimpleNamespace(name="zendesk")
    )
    return {t.id: t for t in with_requester_history(ctx, page)}, policy


def test_each_ticket_sees_the_requesters_other_tickets_of_the_week_before_it() -> None:
    ana = {"id": "ana"}
    page = [
        ticket(id="20", requester=ana, created_at=NOW - 2 * DAY),
        ticket(id="21", requester=ana, created_at=NOW),
        ticket(id="30", requester={"id": "bo"}, created_at=NOW),
    ]
    stored = {
        "ana": [
            ("10", NOW - 10 * DAY),  # outside the window of both
            ("11", NOW - 6 * DAY),
            ("20", NOW - 2 * DAY),  # ticket 20 itself, stored by an earlier poll
        ]
    }

    tickets, policy = enrich(page, stored)

    assert tickets["20"].requester_ticket_times == (NOW - 6 * DAY,)
    assert tickets["21"].requester_ticket_times == (NOW - 6 * DAY, NOW - 2 * DAY)
    assert tickets["30"].requester_ticket_times == ()
    assert [t for t in tickets if repeat_contact(tickets[t], policy, NOW)] == ["21"]


def test_a_requester_with_thousands_of_tickets_costs_only_the_window() -> None:
    hourly = [(str(i), NOW - timedelta(hours=i)) for i in range(1, 24 * 30)]  # a month
    page = [ticket(id="0", requester={"id": "monitor"}, created_at=NOW)]

    tickets, policy = enrich(page, {"monitor": hourly})

    assert len(tickets["0"].requester_ticket_times) == 24 * 7  # the week before it, no more
    (action,) = repeat_contact(tickets["0"], policy, NOW)
    assert "opened 169 tickets within 7 days" in action.reason
