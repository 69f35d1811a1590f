"""Hostile and broken tickets served by the sandboxes over HTTP: the connectors hand on
clean text, and set a broken record aside (with its reason) while the page goes on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from connectors.freshdesk.client import FreshdeskHelpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.freshdesk import records as freshdesk_records
from sandboxes.zendesk import ZendeskSandbox
from tests.connectors.conftest import month_ago, oauth_client

RLO = "\u202e"


@pytest.fixture
def zendesk() -> Iterator[ZendeskSandbox]:
    with ZendeskSandbox(tickets=40, seed=5) as sb:
        yield sb


@pytest.fixture
def freshdesk() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=40, seed=5) as sb:
        yield sb


def zendesk_page(sb: ZendeskSandbox):
    page = oauth_client(sb).read_page(None, month_ago())
    assert page.end_of_stream
    return page


def freshdesk_page(sb: FreshdeskSandbox):
    page = FreshdeskHelpdesk(sb.url, sb.api_key).read_page(None, month_ago())
    assert page.end_of_stream
    return page


def by_id(page, ticket_id: int):
    return next(t for t in page.tickets if t.id == str(ticket_id))


def test_the_zendesk_sandbox_sends_a_lone_surrogate_as_a_json_escape(zendesk):
    zendesk.tamper(3, requester={"name": "Jos\ud800"})
    answer = requests.get(
        f"{zendesk.url}/api/v2/tickets/3.json",
        params={"include": "users"},
        auth=(f"{zendesk.admin_email}/token", zendesk.api_token),
        timeout=10,
    )
    assert b'"Jos\\ud800"' in answer.content


def test_zendesk_hostile_text_arrives_clean_and_every_ticket_is_read(zendesk):
    zendesk.tamper(
        3,
        ticket={"subject": "Refund\x00 now", "description": "x" * 1_000_000},
        requester={"name": f"Jos\ud800 {RLO}nomis", "email": "ana\x00@example.com"},
    )
    page = zendesk_page(zendesk)
    t = by_id(page, 3)
    assert t.subject == "Refund now" and len(t.description) == 20_000
    assert t.requester.name == "Jos\ufffd nomis" and t.requester.email == "ana@example.com"
    assert len(page.tickets) == 40 and page.skipped == []


def test_zendesk_a_broken_record_is_set_aside_with_its_reason_and_the_page_goes_on(zendesk):
    zendesk.tamper(3, ticket={"via": ["web"]})
    zendesk.tamper(4, metric_set={"replies": "many"})
    zendesk.tamper(5, requester=None)  # a null in the users sideload
    zendesk.tamper(6, metric_set=[1])  # a list in metric_sets
    page = zendesk_page(zendesk)
    assert {(s.ticket_id, s.reason) for s in page.skipped} == {
        ("3", "via is a list, not an object"),
        ("4", "metric_set.replies is 'many', not a count"),
    }
    assert all(s.updated_at is not None for s in page.skipped)
    assert len(page.tickets) == 38
    assert by_id(page, 5).requester.name == "" and by_id(page, 6).agent_replies == 0


def test_zendesk_a_tampered_ticket_is_clean_again_once_it_changes(zendesk):
    zendesk.tamper(3, ticket={"via": ["web"]})
    zendesk.touch(3, priority="high")
    zendesk.advance(61)
    page = zendesk_page(zendesk)
    assert page.skipped == [] and by_id(page, 3).priority.value == "high"


def test_freshdesk_hostile_text_arrives_clean_and_every_ticket_is_read(freshdesk):
    freshdesk.tamper(
        3,
        ticket={"subject": "Refund\x00 now", "description_text": "x" * 1_000_000},
        requester={"name": f"Jos\ud800 {RLO}nomis", "email": "ana\x00@example.com"},
    )
    page = freshdesk_page(freshdesk)
    t = by_id(page, 3)
    assert t.subject == "Refund now" and len(t.description) == 20_000
    assert t.requester.name == "Jos\ufffd nomis" and t.requester.email == "ana@example.com"
    assert len(page.tickets) == 40 and page.skipped == []


def test_freshdesk_a_broken_record_is_set_aside_with_its_reason_and_the_page_goes_on(freshdesk):
    freshdesk.tamper(3, stats=["x"])
    freshdesk.tamper(4, ticket={"tags": 7})
    freshdesk.tamper(5, ticket={"requester_id": "1\x00"})
    freshdesk.tamper(6, requester=None, stats=None)
    page = freshdesk_page(freshdesk)
    assert {(s.ticket_id, s.reason) for s in page.skipped} == {
        ("3", "stats is a list, not an object"),
        ("4", "tags is a number, not a list"),
        ("5", "requester_id is '1\\x00', not an integer id"),
    }
    assert len(page.tickets) == 37 and by_id(page, 6).requester.name == ""


def test_group_names_from_either_helpdesk_arrive_clean(zendesk, freshdesk, monkeypatch):
    # Group names reach the report and notes naming hops: an admin may paste anything.
    hostile = ("Sup\x00port", f"Bill{RLO}ing", "Tech\r\nsupport", "A", "S", "E")
    monkeypatch.setattr("sandboxes.zendesk.records.GROUP_NAMES", hostile)
    monkeypatch.setitem(freshdesk_records.GROUP_NAMES, 501, f"Bill{RLO}ing\x00")

    zendesk_names = oauth_client(zendesk).group_names()
    freshdesk_names = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key).group_names()

    assert [zendesk_names[str(i)] for i in (360001, 360002, 360003)] == [
        "Support",
        "Billing",
        "Tech support",
    ]
    assert freshdesk_names["501"] == "Billing"
