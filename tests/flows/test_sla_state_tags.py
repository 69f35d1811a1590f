"""The SLA tags show the wait running now, through poll-helpdesk and a real store.

A breached wait is tagged and noted; an agent's answer takes our SLA tags off and keeps
the agent's; the requester writing again starts a new wait that breaches with a second
note; a pending ticket carries no SLA tag. And whatever the rules decide, a poll makes at
most one update with at most one internal note per ticket, on both helpdesks.
"""

from __future__ import annotations

from collections import Counter

import pytest

from care.domain.notes import refs_in
from flows.poll import poll_helpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import SCENARIOS, ZendeskSandbox
from tests.flows.environment import care_notes, configure, configure_freshdesk, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")

# A 72-second target: the sandbox's messages are minutes old, so every wait is breached.
SHORT_TARGET = "[rules.response_sla]\ntarget_hours = 0.02\n"
TICKET = SCENARIOS["sla_never_answered_30h"].ticket_id
SLA_TAGS = {"care_sla_warning", "care_sla_breached"}


def poll(sandbox) -> None:
    sandbox.advance(61)  # past Zendesk's one-minute export delay
    poll_helpdesk(helpdesk="zendesk")


def breach_notes(sandbox: ZendeskSandbox) -> list[str]:
    return [n for n in care_notes(sandbox, TICKET) if "· resolve.response_sla" in n]


def test_a_wait_is_tagged_cleared_by_the_answer_and_the_next_wait_breaches_again(
    database_url, tmp_path, monkeypatch
):
    with ZendeskSandbox(tickets=40, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url, SHORT_TARGET)
        poll(sandbox)
        tags = set(sandbox.ticket(TICKET)["tags"])
        assert "care_sla_breached" in tags and "care_sla_warning" not in tags
        assert len(breach_notes(sandbox)) == 1

        # An agent answers and tags the ticket their own way.
        agent_tags = [*sandbox.ticket(TICKET)["tags"], "agent_followup"]
        sandbox.touch(TICKET, agent_reply="Looking into it now.", tags=agent_tags)
        poll(sandbox)
        tags = set(sandbox.ticket(TICKET)["tags"])
        assert not tags & SLA_TAGS
        assert {"agent_followup", "care_greeted"} <= tags  # the agent's and our other tags
        poll(sandbox)  # our own write comes round: nothing more to do
        assert len(breach_notes(sandbox)) == 1

        # The requester writes again: a new wait, breached in its turn with its own note.
        sandbox.touch(TICKET, requester_message="It still does not work.")
        poll(sandbox)
        assert "care_sla_breached" in sandbox.ticket(TICKET)["tags"]
        first, second = breach_notes(sandbox)
        assert "a first agent reply" in first and "a reply to their latest message" in second
        poll(sandbox)
        assert len(breach_notes(sandbox)) == 2  # a rerun repeats nothing

        # Pending: the ball is with the requester, no SLA tag.
        sandbox.touch(TICKET, status="pending")
        poll(sandbox)
        tags = set(sandbox.ticket(TICKET)["tags"])
        assert not tags & SLA_TAGS and "agent_followup" in tags


def test_a_zendesk_poll_updates_each_ticket_once_with_at_most_one_note(
    database_url, tmp_path, monkeypatch
):
    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url, SHORT_TARGET)
        before = {t: sandbox.audits(t) for t in range(1, 121)}
        notes_before = {t: len(care_notes(sandbox, t)) for t in range(1, 121)}
        summary = poll_helpdesk(helpdesk="zendesk")
        updates = {t: sandbox.audits(t) - before[t] for t in range(1, 121)}
        notes = {t: len(care_notes(sandbox, t)) - notes_before[t] for t in range(1, 121)}
        sections = Counter(len(refs_in(n)) for t in range(1, 121) for n in care_notes(sandbox, t))

    assert summary.applied > 0 and summary.failed == 0
    assert max(updates.values()) == 1 and max(notes.values()) == 1
    assert sum(updates.values()) > 50
    assert max(sections) >= 3  # several rules' notes, combined in one
    escalated = SCENARIOS["two_interactions"].ticket_id
    (note,) = care_notes(sandbox, escalated)
    assert note.startswith("[CARE] Escalate: not solved in two interactions")


def test_a_freshdesk_poll_writes_each_ticket_once_with_at_most_one_note(
    database_url, tmp_path, monkeypatch
):
    with FreshdeskSandbox(tickets=150, seed=9, job_delay_ms=5) as sandbox:
        configure_freshdesk(monkeypatch, tmp_path, sandbox, database_url, SHORT_TARGET)
        sandbox.reset_log()
        summary = poll_helpdesk(helpdesk="freshdesk")
        log = sandbox.requests_log

    assert summary.applied > 0 and summary.failed == 0
    puts = Counter(path for method, path in log if method == "PUT")
    notes = Counter(path for method, path in log if method == "POST" and path.endswith("/notes"))
    assert puts and max(puts.values()) == 1
    assert notes and max(notes.values()) == 1
    written = {p.rsplit("/", 1)[-1] for p in puts} | {p.split("/")[-2] for p in notes}
    requests = sum(1 for method, _ in log if method in ("PUT", "POST")) + sum(
        1 for method, path in log if method == "GET" and path.count("/") == 4 and "tickets/" in path
    )
    assert requests / len(written) <= 3  # a read, a write and a note at most
