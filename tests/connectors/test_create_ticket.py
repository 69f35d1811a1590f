"""Opening a ticket for a customer (proactive outreach), once, on both helpdesks.

A creation whose answer is lost after the helpdesk opened the ticket is found (Zendesk
by its external_id, Freshdesk among the customer's tickets by CARE's tags) rather than
opened twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from connectors.base import NewTicket
from connectors.freshdesk.client import FreshdeskHelpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.connectors.conftest import FakeSleep, oauth_client

LOST = ["lost_reset", "lost_cut", "lost_502", "lost_garbled"]
NOTE = "[CARE] Reach out first · assist.proactive_outreach\n\n— CARE pipelines · ref 0a1b2c3d4e"


def new_ticket(public: bool, key: str = "k" * 32, email: str = "ada@example.com") -> NewTicket:
    return NewTicket(
        key=key,
        requester_email=email,
        subject="About the error you just met: Checkout failed",
        body="Hello,\n\nWe saw the checkout fail." if public else NOTE,
        public=public,
        tags=frozenset({"care_proactive", "care_outreach"}),
        facts="ada@example.com met “Checkout failed” at 2026-12-06 10:02 UTC.",
        not_before=datetime.now(UTC) - timedelta(seconds=5),
    )


@pytest.fixture
def zendesk() -> Iterator[ZendeskSandbox]:
    with ZendeskSandbox(tickets=20, seed=3, job_delay_ms=5) as sb:
        yield sb


@pytest.fixture
def freshdesk() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=20, seed=3, job_delay_ms=5) as sb:
        yield sb


def freshdesk_client(sb: FreshdeskSandbox) -> FreshdeskHelpdesk:
    return FreshdeskHelpdesk(sb.url, sb.api_key, sleep=FakeSleep())


@pytest.mark.parametrize("public", [True, False])
def test_zendesk_opens_the_ticket_for_the_customer_from_the_agent(zendesk, public) -> None:
    client = oauth_client(zendesk, sleep=FakeSleep())
    ticket_id = client.create_ticket(new_ticket(public))
    assert zendesk.created_tickets() == [int(ticket_id)]
    ticket = zendesk.ticket(int(ticket_id))
    assert set(ticket["tags"]) >= {"care_proactive", "care_outreach"}
    assert ticket["external_id"] == "k" * 32
    (comment,) = zendesk.comments(int(ticket_id))
    assert comment["public"] is public
    assert comment["author_id"] == int(client.whoami().id)  # the agent, not the customer
    assert client.find_created(new_ticket(public)) == ticket_id


@pytest.mark.parametrize("fault", LOST)
def test_zendesk_creation_whose_answer_is_lost_opens_one_ticket(zendesk, fault) -> None:
    client = oauth_client(zendesk, sleep=FakeSleep())
    client.whoami()  # the agent id first: the fault is for the creation
    zendesk.inject(f"{fault}@/api/v2/tickets")
    ticket_id = client.create_ticket(new_ticket(public=True))
    assert zendesk.created_tickets() == [int(ticket_id)]


def test_freshdesk_reply_mode_is_an_outbound_email(freshdesk) -> None:
    client = freshdesk_client(freshdesk)
    ticket_id = client.create_ticket(new_ticket(public=True))
    assert freshdesk.created_tickets() == [int(ticket_id)]
    ticket = freshdesk.ticket(int(ticket_id))
    assert ticket["source"] == 10  # outbound e-mail: the customer gets it from the helpdesk
    assert set(ticket["tags"]) >= {"care_proactive", "care_outreach"}
    assert client.find_created(new_ticket(public=True)) == ticket_id


def test_freshdesk_note_mode_keeps_the_guidance_private(freshdesk) -> None:
    client = freshdesk_client(freshdesk)
    ticket_id = client.create_ticket(new_ticket(public=False))
    ticket = freshdesk.ticket(int(ticket_id))
    assert "Checkout failed" in (ticket.get("description_text") or ticket.get("description"))
    assert "Reach out first" not in (ticket.get("description_text") or "")
    (note,) = freshdesk.notes(int(ticket_id))
    assert note["private"] is True and "ref 0a1b2c3d4e" in (note["body_text"] or note["body"])


@pytest.mark.parametrize("fault", LOST)
@pytest.mark.parametrize("public", [True, False])
def test_freshdesk_creation_whose_answer_is_lost_opens_one_ticket(freshdesk, fault, public):
    client = freshdesk_client(freshdesk)
    if public:
        client.create_ticket(new_ticket(True, key="x" * 32, email="someone@else.test"))
    path = "/api/v2/tickets/outbound_email" if public else "/api/v2/tickets"
    freshdesk.inject(f"{fault}@{path}")
    ticket_id = client.create_ticket(new_ticket(public))
    created = freshdesk.created_tickets()
    assert created.count(int(ticket_id)) == 1
    assert (
        len(
            [
                t
                for t in created
                if freshdesk.ticket(t)["requester_id"]
                == freshdesk.ticket(int(ticket_id))["requester_id"]
            ]
        )
        == 1
    )
    if not public:
        assert len(freshdesk.notes(int(ticket_id))) == 1


def test_a_ticket_of_another_customer_or_before_the_intent_is_not_taken_for_it(freshdesk):
    client = freshdesk_client(freshdesk)
    client.create_ticket(new_ticket(True, email="bob@example.com"))
    assert client.find_created(new_ticket(True)) is None
    later = new_ticket(True)
    ticket_id = client.create_ticket(later)
    two_hours_on = replace(later, not_before=datetime.now(UTC) + timedelta(hours=2))
    assert client.find_created(two_hours_on) is None
    assert client.find_created(later) == ticket_id


def test_a_ticket_recorded_for_another_contact_or_about_another_error_is_not_taken(freshdesk):
    client = freshdesk_client(freshdesk)
    first = client.create_ticket(new_ticket(False, key="a" * 32))
    second = new_ticket(False, key="b" * 32)
    assert client.find_created(replace(second, taken=frozenset({first}))) is None
    other_error = replace(second, subject="About the error you just met: Login failed")
    assert client.find_created(other_error) is None
    assert client.find_created(second) == first  # nothing says it is not this one's


@pytest.mark.parametrize("public", [True, False])
def test_a_lost_answer_is_found_when_freshdesks_clock_runs_behind_ours(freshdesk, public):
    freshdesk.advance(-10 * 60)  # Freshdesk stamps tickets ten minutes "before" the intent
    client = freshdesk_client(freshdesk)
    path = "/api/v2/tickets/outbound_email" if public else "/api/v2/tickets"
    freshdesk.inject(f"lost_502@{path}")
    ticket_id = client.create_ticket(new_ticket(public))
    assert freshdesk.created_tickets() == [int(ticket_id)]
