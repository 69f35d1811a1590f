"""poll-helpdesk on Freshdesk end to end: run twice, nothing decided or written twice."""

from __future__ import annotations

from collections import Counter

import pytest

from flows.poll import poll_helpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from tests.flows.environment import configure_freshdesk

pytestmark = pytest.mark.usefixtures("prefect_server")


def care_refs(sandbox: FreshdeskSandbox, tickets: int) -> Counter[str]:
    refs: Counter[str] = Counter()
    for ticket_id in range(1, tickets + 1):
        for note in sandbox.notes(ticket_id):
            if "CARE pipelines · ref" in note["body"]:
                refs[note["body"].rsplit("ref ", 1)[-1].strip()[:10]] += 1
    return refs


def test_freshdesk_poll_applies_once_and_a_second_run_decides_nothing_new(
    database_url, tmp_path, monkeypatch
):
    with FreshdeskSandbox(tickets=150, seed=9, job_delay_ms=5) as sandbox:
        configure_freshdesk(monkeypatch, tmp_path, sandbox, database_url)

        first = poll_helpdesk(helpdesk="freshdesk")
        tagged = [
            i
            for i in range(1, 151)
            if any(t.startswith("care_") for t in sandbox.ticket(i)["tags"])
        ]
        sandbox.advance(120)
        second = poll_helpdesk(helpdesk="freshdesk")
        refs = care_refs(sandbox, 150)

    assert first.tickets == 150 and first.failed == 0 and first.applied > 0
    assert tagged and sum(first.new_actions.values()) > 0
    assert second.tickets > 0  # our own writes moved updated_at: those tickets come back
    # Nothing already decided is decided again. The one rule that looks across tickets
    # may still find something new: a requester's older tickets, read later in the
    # backfill, complete a repeat contact only on the second pass.
    assert set(second.new_actions) <= {"assist.repeat_contact"}
    assert refs and set(refs.values()) == {1}


def test_a_requester_is_looked_up_once_ever_not_once_per_poll(database_url, tmp_path, monkeypatch):
    with FreshdeskSandbox(tickets=80, seed=2, job_delay_ms=5) as sandbox:
        toml = "[rules]\ndisabled = ['assist.faq']\n"
        configure_freshdesk(monkeypatch, tmp_path, sandbox, database_url, toml)
        poll_helpdesk(helpdesk="freshdesk")
        first = [p for m, p in sandbox.requests_log if p.startswith("/api/v2/contacts/")]
        sandbox.advance(120)
        sandbox.reset_log()
        second_run = poll_helpdesk(helpdesk="freshdesk")
        again = [p for m, p in sandbox.requests_log if p.startswith("/api/v2/contacts/")]
    assert first and len(first) == len(set(first))
    assert second_run.tickets > 0 and again == []  # a new process, the same requesters: none


def test_a_ticket_moved_between_groups_three_times_is_tagged_passed_around(
    database_url, tmp_path, monkeypatch
):
    with FreshdeskSandbox(tickets=40, seed=2, job_delay_ms=5) as sandbox:
        configure_freshdesk(monkeypatch, tmp_path, sandbox, database_url)
        ticket_id = next(
            i
            for i in range(1, 41)
            if sandbox.ticket(i)["status"] == 2 and sandbox.ticket(i)["group_id"] is not None
        )
        poll_helpdesk(helpdesk="freshdesk")
        for group in (91, 92, 93):  # three moves, each seen by a poll of its own
            sandbox.advance(60)
            sandbox.touch(ticket_id, group_id=group)
            poll_helpdesk(helpdesk="freshdesk")
        tags = sandbox.ticket(ticket_id)["tags"]
        notes = [n["body"] for n in sandbox.notes(ticket_id)]
    assert "care_passed_around" in tags
    assert sum("resolve.passed_around" in body for body in notes) == 1
