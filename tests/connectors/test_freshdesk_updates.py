"""Writing to Freshdesk: tags merged (never one lost), private notes, bulk priority jobs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from care.domain.model import Priority
from connectors.base import Change
from connectors.freshdesk import writes
from connectors.freshdesk.client import FreshdeskHelpdesk
from sandboxes.freshdesk import FreshdeskSandbox


@pytest.fixture
def sandbox() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=60, seed=4, job_delay_ms=5) as sb:
        yield sb


def client(sb: FreshdeskSandbox) -> FreshdeskHelpdesk:
    return FreshdeskHelpdesk(sb.url, sb.api_key)


def test_adding_a_tag_keeps_every_tag_an_agent_set(sandbox):
    sandbox.touch(3, tags=["vip", "billing"])
    report = client(sandbox).apply(
        [Change(ref=1, ticket_id="3", add_tags=frozenset({"care_greeted"}))]
    )
    assert report.applied == [1]
    assert set(sandbox.ticket(3)["tags"]) == {"vip", "billing", "care_greeted"}


def test_a_tag_change_costs_one_read_and_one_write_and_no_read_after(sandbox):
    helpdesk = client(sandbox)
    sandbox.touch(4, tags=["vip", "care_sla_warning"])
    sandbox.reset_log()
    change = Change(
        ref=1,
        ticket_id="4",
        add_tags=frozenset({"care_sla_breached"}),
        remove_tags=frozenset({"care_sla_warning"}),
    )
    assert helpdesk.apply([change]).applied == [1]
    assert sandbox.requests_log == [("GET", "/api/v2/tickets/4"), ("PUT", "/api/v2/tickets/4")]
    assert set(sandbox.ticket(4)["tags"]) == {"vip", "care_sla_breached"}


def test_a_write_whose_answer_shows_the_tags_replaced_is_merged_again(sandbox, monkeypatch):
    helpdesk = client(sandbox)
    sandbox.touch(4, tags=["vip"])
    original_put = helpdesk.http.put
    raced = []

    def put_overtaken_by_an_agent(path, body, params=None):
        answer = original_put(path, body, params)
        if not raced:  # an agent's save landed on top of ours before Freshdesk answered
            raced.append(True)
            sandbox.touch(4, tags=["vip", "angry"])
            answer = {**answer, "tags": ["vip", "angry"]}
        return answer

    monkeypatch.setattr(helpdesk.http, "put", put_overtaken_by_an_agent)
    report = helpdesk.apply([Change(ref=1, ticket_id="4", add_tags=frozenset({"care_escalated"}))])
    assert report.applied == [1]
    assert set(sandbox.ticket(4)["tags"]) == {"vip", "angry", "care_escalated"}


def test_notes_are_private_and_priority_is_raised_with_the_tags(sandbox):
    change = Change(
        ref=1,
        ticket_id="5",
        add_tags=frozenset({"care_escalated"}),
        set_priority=Priority.URGENT,
        note="[CARE] resolve.two_interactions — call?",
    )
    assert client(sandbox).apply([change]).applied == [1]
    ticket = sandbox.ticket(5)
    assert ticket["priority"] == 4 and "care_escalated" in ticket["tags"]
    note = sandbox.notes(5)[-1]
    assert note["private"] is True and "resolve.two_interactions" in note["body"]


def test_priority_without_tags_goes_out_as_one_bulk_job(sandbox):
    changes = [Change(ref=i, ticket_id=str(i), set_priority=Priority.HIGH) for i in range(1, 11)]
    sandbox.reset_log()
    report = client(sandbox).apply(changes)
    assert sorted(report.applied) == list(range(1, 11))
    assert sum(1 for m, p in sandbox.requests_log if p.endswith("bulk_update")) == 1
    assert all(sandbox.ticket(i)["priority"] == 3 for i in range(1, 11))


def test_a_note_from_an_interrupted_attempt_is_not_posted_twice(sandbox):
    note = "[CARE] connect.greeting — hello\n— CARE pipelines · ref abcdef0123"
    helpdesk = client(sandbox)
    helpdesk.apply([Change(ref=1, ticket_id="6", note=note, note_ref="abcdef0123")])
    before = len(sandbox.notes(6))
    retry = Change(ref=1, ticket_id="6", note=note, note_ref="abcdef0123", job_id="unconfirmed")
    assert helpdesk.apply([retry]).applied == [1]
    assert len(sandbox.notes(6)) == before


def resolved_tickets(sb: FreshdeskSandbox) -> list[int]:
    return [i for i in range(1, 61) if sb.ticket(i)["status"] == 4]


def test_a_reopen_sets_a_resolved_ticket_open_with_its_tag_and_private_note(sandbox):
    ticket_id = resolved_tickets(sandbox)[0]
    sandbox.touch(ticket_id, tags=["vip"])
    change = Change(
        ref=1,
        ticket_id=str(ticket_id),
        add_tags=frozenset({"care_survey_unsolved"}),
        reopen=True,
        note="[CARE] enhance.survey_answer — not solved",
    )
    assert client(sandbox).apply([change]).applied == [1]
    ticket = sandbox.ticket(ticket_id)
    assert ticket["status"] == 2
    assert set(ticket["tags"]) == {"vip", "care_survey_unsolved"}
    assert sandbox.notes(ticket_id)[-1]["private"] is True


def test_a_reopen_alone_goes_out_as_a_bulk_job(sandbox):
    ticket_ids = resolved_tickets(sandbox)[:2]
    changes = [Change(ref=i, ticket_id=str(t), reopen=True) for i, t in enumerate(ticket_ids)]
    sandbox.reset_log()
    assert sorted(client(sandbox).apply(changes).applied) == [0, 1]
    assert sum(1 for m, p in sandbox.requests_log if p.endswith("bulk_update")) == 1
    assert all(sandbox.ticket(t)["status"] == 2 for t in ticket_ids)


def test_a_note_keeps_its_lines_and_shows_markup_as_text(sandbox):
    comment = '[CARE] enhance.survey — the customer wrote:\n<script>alert("x")</script> & more'
    FreshdeskHelpdesk(sandbox.url, sandbox.api_key).apply(
        [Change(ref=1, ticket_id="7", note=comment)]
    )
    note = sandbox.notes(7)[-1]
    assert "<script>" not in note["body"] and "&lt;script&gt;" in note["body"]
    assert note["body_text"] == comment  # what the agent reads: the text as written


def test_a_bulk_job_that_partly_failed_applies_the_rest_and_says_why(sandbox):
    changes = [Change(ref=1, ticket_id="1", set_priority=Priority.HIGH)]
    changes.append(Change(ref=2, ticket_id="99999", set_priority=Priority.HIGH))
    report = client(sandbox).apply(changes)
    assert report.applied == [1] and "99999" in report.failed[2]
    assert sandbox.ticket(1)["priority"] == 3


@pytest.mark.parametrize(
    ("job", "applied", "failed"),
    [
        ({"status": "SUCCESS", "data": []}, [1, 2], []),  # no per-ticket results: all done
        ({"status": "SUCCESS", "payload": [{"id": 1, "success": True}]}, [1, 2], []),
        ({"status": "PARTIAL", "payload": [{"id": 1, "success": True}]}, [1], [2]),
        ({"status": "FAILED"}, [], [1, 2]),
        ({"status": "IN PROGRESS"}, [], []),  # an older docs' spelling: still running
    ],
)
def test_job_statuses_are_read_as_freshdesk_reports_them(job, applied, failed):
    class Http:
        def get(self, path, params=None, *, kind="reads", cost=1):
            return job

    report, running = writes.settle(Http(), {"j1": {"1": [1], "2": [2]}})  # type: ignore[arg-type]
    assert sorted(report.applied) == applied and sorted(report.failed) == failed
    assert bool(running) == (not applied and not failed)
