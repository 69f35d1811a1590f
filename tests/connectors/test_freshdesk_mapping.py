"""The Freshdesk JSON → Ticket mapping, on records shaped like `include=requester,stats`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from care.domain.model import Priority, Status
from connectors.errors import MalformedRecord
from connectors.freshdesk.mapping import Conversations, to_ticket


def raw_ticket(**overrides):
    ticket = {
        "id": 77,
        "subject": "Invoice is wrong",
        "description": "<div>The VAT is missing.</div>",
        "description_text": "The VAT is missing.",
        "status": 2,
        "priority": 3,
        "source": 7,
        "tags": ["billing"],
        "requester_id": 5001,
        "responder_id": 9001,
        "group_id": 12,
        "created_at": "2026-11-20T08:00:00Z",
        "updated_at": "2026-11-21T09:30:00Z",
        "requester": {"id": 5001, "name": "Ana Lima", "email": "ana@example.com"},
        "stats": {
            "first_responded_at": "2026-11-20T09:00:00Z",
            "agent_responded_at": "2026-11-21T08:00:00Z",
            "requester_responded_at": "2026-11-21T09:30:00Z",
            "resolved_at": None,
            "closed_at": None,
        },
    }
    ticket.update(overrides)
    return ticket


def test_codes_stats_and_requester_map_onto_the_ticket():
    created = datetime(2023, 1, 1, tzinfo=UTC)
    t = to_ticket(
        raw_ticket(),
        helpdesk="freshdesk",
        base_url="https://acme.freshdesk.com/",
        requester_created_at=created,
        conversations=Conversations(agent_replies=2, group_hops=3),
    )
    assert (t.status, t.priority, t.channel) == (Status.OPEN, Priority.HIGH, "chat")
    assert t.description == "The VAT is missing."
    assert t.requester.first_name == "Ana" and t.requester.created_at == created
    assert t.last_agent_reply_at == datetime(2026, 11, 21, 8, tzinfo=UTC)
    assert t.requester_wrote_last and t.agent_replies == 2 and t.group_hops == 3
    assert (t.group_id, t.assignee_id) == ("12", "9001")
    assert t.url == "https://acme.freshdesk.com/a/tickets/77"


@pytest.mark.parametrize(
    ("code", "status"),
    [(3, Status.PENDING), (4, Status.SOLVED), (5, Status.CLOSED), (7, Status.OPEN)],
)
def test_status_codes(code, status):
    assert to_ticket(raw_ticket(status=code), helpdesk="f", base_url="https://x").status is status


def test_resolved_ticket_carries_its_solved_time():
    raw = raw_ticket(status=4, stats={"resolved_at": "2026-11-22T10:00:00Z"})
    t = to_ticket(raw, helpdesk="f", base_url="https://x")
    assert t.solved_at == datetime(2026, 11, 22, 10, tzinfo=UTC)


def test_a_first_response_counts_as_one_reply_before_conversations_are_counted():
    t = to_ticket(raw_ticket(), helpdesk="f", base_url="https://x")
    assert t.agent_replies == 1


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"id": "77"}, "id is '77'"),
        ({"status": None}, "unknown status None"),
        ({"priority": 9}, "unknown priority 9"),
        ({"created_at": "soon"}, "created_at is 'soon'"),
        ({"requester_id": None}, "requester_id is missing"),
    ],
)
def test_malformed_records_are_rejected_with_their_reason(overrides, reason):
    with pytest.raises(MalformedRecord, match=reason):
        to_ticket(raw_ticket(**overrides), helpdesk="f", base_url="https://x")


def test_custom_statuses_map_as_configured_and_unknown_ones_count_as_open():
    custom = {6: Status.PENDING, 7: Status.HOLD}

    def status(code: int) -> Status:
        raw = raw_ticket(status=code)
        return to_ticket(raw, helpdesk="f", base_url="https://x", custom_statuses=custom).status

    assert (status(6), status(7), status(8), status(2)) == (
        Status.PENDING,
        Status.HOLD,
        Status.OPEN,
        Status.OPEN,
    )


def test_a_closed_freshdesk_ticket_still_takes_notes_and_tags():
    t = to_ticket(raw_ticket(status=5), helpdesk="f", base_url="https://x")
    assert t.status is Status.CLOSED and not t.read_only
