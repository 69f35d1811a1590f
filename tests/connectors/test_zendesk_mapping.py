"""The Zendesk JSON → Ticket mapping, on real-shaped export records."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from care.domain.model import Priority, Status
from connectors.errors import MalformedRecord
from connectors.zendesk.mapping import to_ticket

USERS = {
    501: {
        "id": 501,
        "name": "Ana Lima",
        "email": "ana@example.com",
        "created_at": "2023-02-01T10:00:00Z",
        "role": "end-user",
    }
}


def raw_ticket(**overrides):
    ticket = {
        "id": 42,
        "url": "https://acme.zendesk.com/api/v2/tickets/42.json",
        "subject": "Cannot reset my password",
        "raw_subject": "Cannot reset my password",
        "description": "The reset link expired.",
        "status": "open",
        "priority": "normal",
        "tags": ["billing", "vip"],
        "requester_id": 501,
        "assignee_id": 9001,
        "group_id": 77,
        "via": {"channel": "email", "source": {}},
        "created_at": "2026-11-20T08:00:00Z",
        "updated_at": "2026-11-21T09:30:00Z",
        "generated_timestamp": 1763717400,
    }
    ticket.update(overrides)
    return ticket


METRICS = {
    "ticket_id": 42,
    "replies": 2,
    "reopens": 1,
    "group_stations": 4,
    "assignee_stations": 1,
    "solved_at": None,
    "requester_updated_at": "2026-11-21T09:30:00Z",
    "assignee_updated_at": "2026-11-21T08:00:00Z",
    "reply_time_in_minutes": {"calendar": 90, "business": 30},
}


def test_export_record_maps_every_field_the_rules_read():
    t = to_ticket(
        raw_ticket(), USERS, METRICS, helpdesk="zendesk", base_url="https://acme.zendesk.com/"
    )
    assert (t.id, t.status, t.priority, t.channel) == ("42", Status.OPEN, Priority.NORMAL, "email")
    assert t.tags == {"billing", "vip"}
    assert t.requester.first_name == "Ana"
    assert t.requester.created_at == datetime(2023, 2, 1, 10, tzinfo=UTC)
    assert t.first_agent_reply_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    assert t.last_agent_reply_at == datetime(2026, 11, 21, 8, tzinfo=UTC)
    assert t.requester_wrote_last
    assert (t.agent_replies, t.reopens, t.group_hops, t.assignee_hops) == (2, 1, 3, 0)
    assert (t.group_id, t.assignee_id) == ("77", "9001")
    assert t.url == "https://acme.zendesk.com/agent/tickets/42"


def test_ticket_without_agent_reply_has_no_reply_times():
    metrics = {**METRICS, "replies": 0, "reply_time_in_minutes": {"calendar": None}}
    t = to_ticket(raw_ticket(), USERS, metrics, helpdesk="zendesk", base_url="https://x")
    assert t.first_agent_reply_at is None and t.last_agent_reply_at is None


def test_mapping_does_not_mutate_its_input():
    raw = raw_ticket()
    before = repr(raw)
    to_ticket(raw, USERS, METRICS, helpdesk="zendesk", base_url="https://x")
    assert repr(raw) == before


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"id": None}, "id is None"),
        ({"created_at": "yesterday"}, "created_at is 'yesterday'"),
        ({"status": "archived"}, "unknown status 'archived'"),
        ({"priority": "huge"}, "unknown priority 'huge'"),
        ({"requester_id": None}, "requester_id is missing"),
    ],
)
def test_malformed_record_is_rejected_with_its_reason(overrides, reason):
    with pytest.raises(MalformedRecord, match=reason):
        to_ticket(raw_ticket(**overrides), USERS, METRICS, helpdesk="zendesk", base_url="https://x")


@pytest.mark.parametrize(("status", "read_only"), [("closed", True), ("solved", False)])
def test_a_closed_zendesk_ticket_is_read_only(status, read_only):
    raw = raw_ticket(status=status)
    t = to_ticket(raw, USERS, METRICS, helpdesk="zendesk", base_url="https://acme.zendesk.com")
    assert t.read_only is read_only
