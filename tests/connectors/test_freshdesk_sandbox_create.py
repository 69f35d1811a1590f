"""The Freshdesk sandbox's ticket creation, outbound e-mail, email configs and the email
filter of List All Tickets, over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from sandboxes.freshdesk import FreshdeskSandbox

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SINCE = (NOW - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
TICKETS = "/api/v2/tickets"
OUTBOUND = "/api/v2/tickets/outbound_email"
EMAIL = "dana.outreach@example.org"


@pytest.fixture
def sandbox() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=80, seed=7, now=NOW) as sb:
        yield sb


def session(sb: FreshdeskSandbox) -> requests.Session:
    s = requests.Session()
    s.auth = (sb.api_key, "X")
    return s


def ticket_body(**overrides: object) -> dict:
    body = {
        "email": EMAIL,
        "name": "Dana Outreach",
        "subject": "We noticed an error on your checkout page",
        "description": "<div>Hello, we saw the error and are on it.</div>",
        "tags": ["care_outreach", "care_outreach"],
        "priority": 3,
    }
    return {**body, **overrides}


def config_id(s: requests.Session, sb: FreshdeskSandbox) -> int:
    configs = s.get(sb.url + "/api/v2/email_configs", timeout=5).json()
    return next(c["id"] for c in configs if c["primary_role"])


def test_email_configs_list_one_active_primary_mailbox(sandbox):
    answer = session(sandbox).get(sandbox.url + "/api/v2/email_configs", timeout=5)

    assert answer.status_code == 200
    [config] = answer.json()
    assert {"id", "name", "to_email", "reply_email", "group_id", "product_id"} <= set(config)
    assert config["primary_role"] is True and config["active"] is True


def test_create_ticket_answers_201_and_creates_the_contact(sandbox):
    s = session(sandbox)

    created = s.post(sandbox.url + TICKETS, json=ticket_body(), timeout=5)

    assert created.status_code == 201, created.text
    ticket = created.json()
    assert sandbox.created_tickets() == [ticket["id"]] and ticket["id"] > 80
    assert (ticket["status"], ticket["priority"], ticket["source"]) == (2, 3, 2)
    assert ticket["tags"] == ["care_outreach"] and ticket["responder_id"] is None
    assert ticket["description"] == "<div>Hello, we saw the error and are on it.</div>"
    assert ticket["description_text"] == "Hello, we saw the error and are on it."
    assert "stats" not in ticket
    contact = s.get(f"{sandbox.url}/api/v2/contacts/{ticket['requester_id']}", timeout=5).json()
    assert (contact["name"], contact["email"]) == ("Dana Outreach", EMAIL)
    again = s.post(sandbox.url + TICKETS, json=ticket_body(email=EMAIL.upper()), timeout=5)
    assert again.json()["requester_id"] == ticket["requester_id"]


def test_create_ticket_for_a_seeded_contact_by_requester_id(sandbox):
    s = session(sandbox)
    seeded = sandbox.ticket(40)["requester_id"]

    created = s.post(
        sandbox.url + TICKETS,
        json=ticket_body(email=None, name=None, requester_id=seeded, status=3),
        timeout=5,
    )
    by_email = s.post(
        sandbox.url + TICKETS,
        json=ticket_body(email=s.get(f"{sandbox.url}/api/v2/contacts/{seeded}").json()["email"]),
        timeout=5,
    )

    assert created.status_code == 201, created.text
    assert created.json()["requester_id"] == seeded and created.json()["status"] == 3
    assert by_email.json()["requester_id"] == seeded


def test_outbound_email_is_source_10_closed_and_assigned_to_the_sender(sandbox):
    s = session(sandbox)

    sent = s.post(
        sandbox.url + OUTBOUND,
        json={
            "email": EMAIL,
            "subject": "About the error you hit",
            "description": "<p>We saw it and fixed it.</p>",
            "email_config_id": config_id(s, sandbox),
            "tags": ["care_outreach"],
        },
        timeout=5,
    )

    assert sent.status_code == 201, sent.text
    ticket = sent.json()
    assert (ticket["source"], ticket["status"], ticket["priority"]) == (10, 5, 1)
    me = s.get(sandbox.url + "/api/v2/agents/me", timeout=5).json()
    assert ticket["responder_id"] == me["id"]
    assert ticket["email_config_id"] == config_id(s, sandbox)
    shown = s.get(f"{sandbox.url}{TICKETS}/{ticket['id']}?include=stats", timeout=5).json()
    assert shown["description_text"] == "We saw it and fixed it."
    assert shown["stats"]["closed_at"] is not None
    convs = s.get(f"{sandbox.url}{TICKETS}/{ticket['id']}/conversations", timeout=5).json()
    assert convs == []  # the e-mail is the ticket's description, not a conversation


def test_outbound_email_can_stay_open(sandbox):
    s = session(sandbox)
    body = {
        "email": EMAIL,
        "subject": "s",
        "description": "d",
        "email_config_id": config_id(s, sandbox),
        "status": 2,
        "priority": 2,
    }

    ticket = s.post(sandbox.url + OUTBOUND, json=body, timeout=5).json()

    assert (ticket["status"], ticket["priority"]) == (2, 2)


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        (TICKETS, {"subject": "s", "description": "d"}, {"requester_id"}),
        (TICKETS, {"email": EMAIL}, {"subject", "description"}),
        (TICKETS, ticket_body(status=9), {"status"}),
        (TICKETS, ticket_body(requester_id=1), {"requester_id"}),
        (TICKETS, ticket_body(colour="red"), {"colour"}),
        (OUTBOUND, {"email": EMAIL, "subject": "s", "description": "d"}, {"email_config_id"}),
        (OUTBOUND, {"subject": "s", "description": "d", "email_config_id": 1}, {"email"}),
    ],
)
def test_missing_or_bad_fields_answer_400_validation_failed(sandbox, path, body, fields):
    refused = session(sandbox).post(sandbox.url + path, json=body, timeout=5)

    assert refused.status_code == 400
    assert refused.json()["description"] == "Validation failed"
    errors = refused.json()["errors"]
    assert {e["field"] for e in errors} >= fields
    assert all({"field", "message", "code"} <= set(e) for e in errors)
    assert sandbox.created_tickets() == []


def test_created_tickets_show_in_the_polling_list_view_and_email_filter(sandbox):
    s = session(sandbox)
    first = s.post(sandbox.url + TICKETS, json=ticket_body(), timeout=5).json()
    second = s.post(sandbox.url + TICKETS, json=ticket_body(), timeout=5).json()
    s.post(sandbox.url + TICKETS, json=ticket_body(email="someone.else@example.org"), timeout=5)

    polled = s.get(
        sandbox.url + TICKETS,
        params={
            "updated_since": SINCE,
            "order_by": "updated_at",
            "order_type": "asc",
            "per_page": 100,
        },
        timeout=5,
    )
    pages, params = [], {"email": EMAIL, "per_page": 1, "include": "requester"}
    url = sandbox.url + TICKETS
    while url:
        answer = s.get(url, params=params, timeout=5)
        pages.append(answer.json())
        url, params = answer.links.get("next", {}).get("url"), None
    since = s.get(
        sandbox.url + TICKETS,
        params={"email": EMAIL, "updated_since": SINCE, "order_by": "updated_at"},
        timeout=5,
    ).json()
    unknown = s.get(sandbox.url + TICKETS, params={"email": "no.one@example.org"}, timeout=5)

    assert polled.status_code == 200
    assert [t["id"] for t in polled.json()[-3:]] == sandbox.created_tickets()
    assert [t["id"] for page in pages for t in page] == [second["id"], first["id"]]
    assert all(t["requester"]["email"] == EMAIL for page in pages for t in page)
    assert [t["id"] for t in since] == [second["id"], first["id"]]
    assert unknown.status_code == 200 and unknown.json() == []
    shown = s.get(f"{sandbox.url}{TICKETS}/{first['id']}", timeout=5)
    assert shown.status_code == 200 and shown.json()["subject"] == first["subject"]


def test_email_filter_finds_a_seeded_contacts_tickets(sandbox):
    s = session(sandbox)
    contact = sandbox.ticket(41)["requester_id"]
    email = s.get(f"{sandbox.url}/api/v2/contacts/{contact}", timeout=5).json()["email"]

    found = s.get(
        sandbox.url + TICKETS, params={"email": email, "updated_since": SINCE}, timeout=5
    ).json()

    assert 41 in [t["id"] for t in found]
    assert {t["requester_id"] for t in found} == {contact}


def test_a_lost_answer_leaves_one_ticket_that_the_email_filter_finds(sandbox):
    s = session(sandbox)
    sandbox.inject("lost_reset@/api/v2/tickets")

    with pytest.raises(requests.ConnectionError):
        s.post(sandbox.url + TICKETS, json=ticket_body(), timeout=5)
    found = s.get(sandbox.url + TICKETS, params={"email": EMAIL}, timeout=5).json()

    assert len(sandbox.created_tickets()) == 1
    assert [t["id"] for t in found] == sandbox.created_tickets()


def test_a_lost_outbound_answer_also_sends_the_email(sandbox):
    s = session(sandbox)
    body = {"email": EMAIL, "subject": "s", "description": "d"}
    body["email_config_id"] = config_id(s, sandbox)
    sandbox.inject("lost_502@/api/v2/tickets/outbound_email")

    answer = s.post(sandbox.url + OUTBOUND, json=body, timeout=5)

    assert answer.status_code == 502
    assert len(sandbox.created_tickets()) == 1


def test_creates_spend_credits_and_get_429_with_retry_after():
    with FreshdeskSandbox(tickets=20, now=NOW, rate_limit_per_minute=2) as sb:
        s = session(sb)
        answers = [s.post(sb.url + TICKETS, json=ticket_body(), timeout=5) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[0].headers["X-RateLimit-Used-CurrentRequest"] == "1"
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert len(sb.created_tickets()) == 2


def test_real_limits_count_outbound_email_as_a_ticket_create():
    # Growth plan: 80 ticket creates a minute; the clock starts on a minute boundary.
    with FreshdeskSandbox(tickets=20, now=NOW, real_limits=True, plan="growth") as sb:
        s = session(sb)
        body = {"email": EMAIL, "subject": "s", "description": "d"}
        body["email_config_id"] = config_id(s, sb)
        answers = [s.post(sb.url + OUTBOUND, json=body, timeout=5) for _ in range(81)]

    assert [a.status_code for a in answers] == [201] * 80 + [429]
    assert sb.credits.refused["ticket_create"] == 1
