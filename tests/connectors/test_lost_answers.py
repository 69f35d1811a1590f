"""A write whose answer is lost after the helpdesk applied it is never applied twice.

Each sandbox fault `lost_*` lets the request do its work, then loses the answer: the
connection resets, the body is cut short, a gateway answers 502, or the JSON is broken.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from care.domain.model import Priority
from connectors.base import UNCONFIRMED_JOB, Change
from connectors.errors import OutcomeUnknown
from connectors.freshdesk.client import FreshdeskHelpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.connectors.conftest import FakeSleep, oauth_client

LOST = ["lost_reset", "lost_cut", "lost_502", "lost_garbled"]


def note(ref: str) -> str:
    return f"[CARE] resolve.passed_around — moved 4 times\n— CARE pipelines · ref {ref}"


def copies(texts: list[str], ref: str) -> int:
    return sum(f"ref {ref}" in text for text in texts)


@pytest.fixture
def zendesk() -> Iterator[ZendeskSandbox]:
    with ZendeskSandbox(tickets=60, seed=11, job_delay_ms=5) as sb:
        yield sb


@pytest.fixture
def freshdesk() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=60, seed=4, job_delay_ms=5) as sb:
        yield sb


@pytest.mark.parametrize("fault", LOST)
def test_zendesk_notes_batch_whose_answer_is_lost_is_posted_once(zendesk, fault):
    client = oauth_client(zendesk, sleep=FakeSleep())
    refs = {"1": "a000000001", "2": "a000000002", "3": "a000000003"}
    changes = [
        Change(ref=n, ticket_id=t, note=note(r), note_ref=r)
        for n, (t, r) in enumerate(refs.items())
    ]
    zendesk.inject(f"{fault}@/api/v2/tickets/update_many")
    report = client.apply(changes)
    assert sorted(report.applied) == [0, 1, 2] and not report.failed
    for ticket_id, ref in refs.items():
        bodies = [c["body"] for c in zendesk.comments(int(ticket_id))]
        assert copies(bodies, ref) == 1, f"ticket {ticket_id}"


def test_zendesk_note_refused_by_a_500_is_looked_for_then_sent_again(zendesk):
    """A 500 may or may not have queued the batch: here it did not, so the note is missing
    and goes out once more."""
    client = oauth_client(zendesk, sleep=FakeSleep())
    zendesk.inject("500@/api/v2/tickets/update_many")
    report = client.apply(
        [Change(ref=1, ticket_id="5", note=note("b000000005"), note_ref="b000000005")]
    )
    assert report.applied == [1]
    assert copies([c["body"] for c in zendesk.comments(5)], "b000000005") == 1


@pytest.mark.parametrize("fault", LOST)
def test_zendesk_tags_bulk_whose_answer_is_lost_is_sent_again_and_applied(zendesk, fault):
    client = oauth_client(zendesk, sleep=FakeSleep())
    before = set(zendesk.ticket(7)["tags"])
    change = Change(
        ref=1, ticket_id="7", add_tags=frozenset({"care_escalated"}), set_priority=Priority.URGENT
    )
    zendesk.inject(f"{fault}@/api/v2/tickets/update_many")
    report = client.apply([change])
    assert report.applied == [1] and not report.failed
    ticket = zendesk.ticket(7)
    assert ticket["tags"].count("care_escalated") == 1
    assert set(ticket["tags"]) == before | {"care_escalated"} and ticket["priority"] == "urgent"


@pytest.mark.parametrize("fault", LOST)
def test_zendesk_note_lost_beside_its_tags_job_is_applied_once_both_ran(zendesk, fault):
    """A change rides in a tags job and a notes batch; the batch's answer is lost."""
    client = oauth_client(zendesk, sleep=FakeSleep())
    put = client.http.put

    def lose_the_notes_answer(path, body, params=None, *, idempotent=True):
        if "tickets" in body:  # the notes batch: aim the fault at this very call
            zendesk.inject(f"{fault}@/api/v2/tickets/update_many")
        return put(path, body, params, idempotent=idempotent)

    client.http.put = lose_the_notes_answer
    change = Change(
        ref=1,
        ticket_id="9",
        add_tags=frozenset({"care_escalated"}),
        note=note("c000000009"),
        note_ref="c000000009",
    )
    report = client.apply([change])
    assert report.applied == [1] and not report.failed
    assert "care_escalated" in zendesk.ticket(9)["tags"]
    assert copies([c["body"] for c in zendesk.comments(9)], "c000000009") == 1


@pytest.mark.parametrize("fault", LOST)
def test_freshdesk_note_whose_answer_is_lost_is_posted_once(freshdesk, fault):
    client = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key, sleep=FakeSleep())
    freshdesk.inject(f"{fault}@/api/v2/tickets/6/notes")
    report = client.apply(
        [Change(ref=1, ticket_id="6", note=note("d000000006"), note_ref="d000000006")]
    )
    assert report.applied == [1] and not report.failed
    assert copies([n["body"] for n in freshdesk.notes(6)], "d000000006") == 1


@pytest.mark.parametrize("fault", LOST)
def test_freshdesk_tags_priority_and_note_are_applied_once(freshdesk, fault):
    client = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key, sleep=FakeSleep())
    freshdesk.touch(8, tags=["vip"])
    change = Change(
        ref=1,
        ticket_id="8",
        add_tags=frozenset({"care_escalated"}),
        set_priority=Priority.URGENT,
        note=note("e000000008"),
        note_ref="e000000008",
    )
    freshdesk.inject(f"{fault}@/api/v2/tickets/8")  # the tag write (PUT), then the note
    freshdesk.inject(f"{fault}@/api/v2/tickets/8/notes")
    report = client.apply([change])
    assert report.applied == [1] and not report.failed
    ticket = freshdesk.ticket(8)
    assert sorted(ticket["tags"]) == ["care_escalated", "vip"] and ticket["priority"] == 4
    assert copies([n["body"] for n in freshdesk.notes(8)], "e000000008") == 1


@pytest.mark.parametrize("fault", LOST)
def test_freshdesk_bulk_priority_whose_answer_is_lost_is_applied(freshdesk, fault):
    client = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key, sleep=FakeSleep())
    changes = [Change(ref=i, ticket_id=str(i), set_priority=Priority.HIGH) for i in (1, 2, 3)]
    freshdesk.inject(f"{fault}@/api/v2/tickets/bulk_update")
    report = client.apply(changes)
    assert sorted(report.applied) == [1, 2, 3] and not report.failed
    assert all(freshdesk.ticket(i)["priority"] == 3 for i in (1, 2, 3))


def test_zendesk_notes_whose_answers_keep_failing_are_left_to_a_retry_that_looks_first(zendesk):
    client = oauth_client(zendesk, sleep=FakeSleep())
    change = Change(ref=1, ticket_id="4", note=note("f000000004"), note_ref="f000000004")
    for _ in range(3):
        zendesk.inject("500@/api/v2/tickets/update_many$")
    with pytest.raises(OutcomeUnknown):
        client.apply([change])
    # The run fails; the action keeps its unconfirmed mark and the next run looks first.
    report = client.apply([replace(change, job_id=UNCONFIRMED_JOB)])
    assert report.applied == [1]
    assert copies([c["body"] for c in zendesk.comments(4)], "f000000004") == 1


def test_freshdesk_note_whose_answers_keep_failing_is_left_to_a_retry_that_looks_first(freshdesk):
    client = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key, sleep=FakeSleep())
    change = Change(ref=1, ticket_id="9", note=note("f000000009"), note_ref="f000000009")
    for fault in ("500", "lost_502", "500"):  # the second one did post it
        freshdesk.inject(f"{fault}@/api/v2/tickets/9/notes")
    report = client.apply([change])
    assert report.applied == [1]
    assert copies([n["body"] for n in freshdesk.notes(9)], "f000000009") == 1
    for _ in range(3):
        freshdesk.inject("500@/api/v2/tickets/10/notes")
    other = Change(ref=2, ticket_id="10", note=note("f000000010"), note_ref="f000000010")
    with pytest.raises(OutcomeUnknown):
        client.apply([other])
    assert client.apply([replace(other, job_id=UNCONFIRMED_JOB)]).applied == [2]
    assert copies([n["body"] for n in freshdesk.notes(10)], "f000000010") == 1
