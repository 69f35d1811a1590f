"""The Zendesk sandbox's Create Ticket and List Tickets (external_id), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from sandboxes.zendesk import ZendeskSandbox
from sandboxes.zendesk.records import ADMIN_ID, AGENT_BASE

TICKETS = "/api/v2/tickets.json"
EXPORT = "/api/v2/incremental/tickets/cursor.json"
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[ZendeskSandbox]:
    with ZendeskSandbox(tickets=60, seed=7) as sb:
        yield sb


def session(sb: ZendeskSandbox) -> requests.Session:
    s = requests.Session()
    s.auth = (f"{sb.admin_email}/token", sb.api_token)
    return s


def outreach(**overrides: object) -> dict:
    ticket = {
        "subject": "We noticed an error on your checkout page",
        "comment": {"body": "Hello, we saw the error and are on it.", "public": False},
        "requester": {"email": "Dana.Outreach@example.org", "name": "Dana Outreach"},
        "tags": ["care_outreach", "care_outreach"],
        "priority": "high",
        "external_id": "care-outreach-1",
    }
    return {"ticket": {**ticket, **overrides}}


def test_create_answers_201_with_ticket_and_audit_and_a_new_end_user(sandbox):
    s = session(sandbox)

    created = s.post(sandbox.url + TICKETS, json=outreach(), timeout=5)

    assert created.status_code == 201, created.text
    ticket, audit = created.json()["ticket"], created.json()["audit"]
    assert ticket["id"] > 60 and sandbox.created_tickets() == [ticket["id"]]
    assert ticket["subject"] == "We noticed an error on your checkout page"
    assert ticket["description"] == "Hello, we saw the error and are on it."
    assert (ticket["status"], ticket["priority"], ticket["tags"]) == (
        "new",
        "high",
        ["care_outreach"],
    )
    assert ticket["external_id"] == "care-outreach-1"
    assert ticket["via"]["channel"] == "api" and ticket["is_public"] is False
    requester = ticket["requester_id"]
    assert ticket["submitter_id"] == requester  # by default the requester submits
    assert audit["ticket_id"] == ticket["id"] and audit["author_id"] == ADMIN_ID
    comment = next(e for e in audit["events"] if e["type"] == "Comment")
    assert (comment["author_id"], comment["public"]) == (requester, False)
    assert {"subject", "requester_id", "status", "priority", "tags"} <= {
        e["field_name"] for e in audit["events"] if e["type"] == "Create"
    }
    user = s.get(f"{sandbox.url}/api/v2/users/{requester}.json", timeout=5).json()["user"]
    assert (user["name"], user["email"], user["role"]) == (
        "Dana Outreach",
        "Dana.Outreach@example.org",
        "end-user",
    )


def test_a_known_email_reuses_the_user_and_html_body_is_read_as_text(sandbox):
    s = session(sandbox)
    first = s.post(sandbox.url + TICKETS, json=outreach(), timeout=5).json()["ticket"]

    again = s.post(
        sandbox.url + TICKETS,
        json=outreach(
            requester={"email": "dana.outreach@EXAMPLE.org"},  # name only needed for new users
            comment={"html_body": "<p>Second <b>note</b></p>"},
            external_id="care-outreach-2",
        ),
        timeout=5,
    )

    assert again.status_code == 201, again.text
    ticket = again.json()["ticket"]
    assert ticket["requester_id"] == first["requester_id"]
    assert ticket["description"] == "Second note" and ticket["is_public"] is True


def test_submitter_or_comment_author_makes_the_agent_the_first_comment_author(sandbox):
    s = session(sandbox)
    agent = AGENT_BASE + 2

    by_submitter = s.post(
        sandbox.url + TICKETS, json=outreach(submitter_id=agent), timeout=5
    ).json()["ticket"]
    by_author = s.post(
        sandbox.url + TICKETS,
        json=outreach(comment={"body": "From the agent", "author_id": agent}),
        timeout=5,
    ).json()["ticket"]

    for ticket in (by_submitter, by_author):
        assert ticket["submitter_id"] == agent
        comments = s.get(
            f"{sandbox.url}/api/v2/tickets/{ticket['id']}/comments.json", timeout=5
        ).json()["comments"]
        assert [c["author_id"] for c in comments] == [agent]
        assert ticket["requester_id"] != agent
    assert sandbox.comments(by_author["id"])[0]["public"] is True  # public defaults to true


def test_created_ticket_shows_in_show_comments_and_the_export_with_its_user(sandbox):
    s = session(sandbox)
    start = int(sandbox.clock()) - 31 * 86400
    ticket = s.post(sandbox.url + TICKETS, json=outreach(), timeout=5).json()["ticket"]
    sandbox.advance(120)  # the export never returns the last minute

    shown = s.get(f"{sandbox.url}/api/v2/tickets/{ticket['id']}.json", timeout=5).json()
    comments = s.get(f"{sandbox.url}/api/v2/tickets/{ticket['id']}/comments.json", timeout=5).json()
    exported, params = [], {"start_time": start, "include": "users,metric_sets"}
    while True:
        page = s.get(sandbox.url + EXPORT, params=params, timeout=5).json()
        exported.append(page)
        if page["end_of_stream"]:
            break
        params = {"cursor": page["after_cursor"], "include": "users,metric_sets"}

    assert shown["ticket"]["external_id"] == "care-outreach-1"
    assert [(c["body"], c["public"]) for c in comments["comments"]] == [
        ("Hello, we saw the error and are on it.", False)
    ]
    rows = [t for page in exported for t in page["tickets"] if t["id"] == ticket["id"]]
    users = {u["id"] for page in exported for u in page["users"]}
    metrics = {m["ticket_id"] for page in exported for m in page["metric_sets"]}
    assert len(rows) == 1 and rows[0]["requester_id"] in users and ticket["id"] in metrics


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"comment": None}, "description"),
        ({"comment": {"body": "  "}}, "description"),
        ({"requester": {"email": "nobody-yet@example.org"}}, "requester"),
        ({"requester": None}, "requester"),
        ({"priority": "asap"}, "priority"),
    ],
)
def test_validation_errors_answer_422_record_invalid(sandbox, change, field):
    body = outreach(**change)
    body["ticket"] = {k: v for k, v in body["ticket"].items() if v is not None}

    refused = session(sandbox).post(sandbox.url + TICKETS, json=body, timeout=5)

    assert refused.status_code == 422
    assert refused.json()["error"] == "RecordInvalid"
    assert refused.json()["description"] == "Record validation errors"
    assert field in refused.json()["details"]
    assert all("description" in d for d in refused.json()["details"][field])
    assert sandbox.created_tickets() == []


def test_list_tickets_by_external_id_matches_exactly(sandbox):
    s = session(sandbox)
    a = s.post(sandbox.url + TICKETS, json=outreach(), timeout=5).json()["ticket"]
    b = s.post(sandbox.url + TICKETS, json=outreach(), timeout=5).json()["ticket"]
    s.post(sandbox.url + TICKETS, json=outreach(external_id="care-outreach-10"), timeout=5)

    found = s.get(sandbox.url + TICKETS, params={"external_id": "care-outreach-1"}, timeout=5)
    none = s.get(sandbox.url + TICKETS, params={"external_id": "care-outreach"}, timeout=5)

    assert found.status_code == 200
    assert [t["id"] for t in found.json()["tickets"]] == [a["id"], b["id"]]
    assert found.json()["count"] == 2 and found.json()["next_page"] is None
    assert none.json()["tickets"] == [] and none.json()["count"] == 0


def test_list_tickets_without_filter_pages_by_id(sandbox):
    s = session(sandbox)
    created = s.post(sandbox.url + TICKETS, json=outreach(), timeout=5).json()["ticket"]

    first = s.get(sandbox.url + TICKETS, params={"per_page": 50}, timeout=5).json()
    second = s.get(first["next_page"], auth=s.auth, timeout=5).json()

    assert [t["id"] for t in first["tickets"]] == list(range(1, 51))
    assert [t["id"] for t in second["tickets"]] == [*range(51, 61), created["id"]]
    assert second["next_page"] is None and first["count"] == 61


def test_a_lost_answer_leaves_one_ticket_that_the_external_id_lookup_finds(sandbox):
    s = session(sandbox)
    sandbox.inject("lost_reset@/api/v2/tickets")

    with pytest.raises(requests.ConnectionError):
        s.post(sandbox.url + TICKETS, json=outreach(), timeout=5)
    found = s.get(sandbox.url + TICKETS, params={"external_id": "care-outreach-1"}, timeout=5)

    assert len(sandbox.created_tickets()) == 1
    assert [t["id"] for t in found.json()["tickets"]] == sandbox.created_tickets()


@pytest.mark.parametrize("fault", ["lost_cut", "lost_502", "lost_garbled"])
def test_other_lost_answers_also_create_the_ticket(sandbox, fault):
    sandbox.inject(f"{fault}@/api/v2/tickets")

    try:
        answer = session(sandbox).post(sandbox.url + TICKETS, json=outreach(), timeout=5)
        answer.json()
    except (requests.RequestException, ValueError):
        pass
    else:
        raise AssertionError(f"{fault}: the answer came through whole")

    assert len(sandbox.created_tickets()) == 1


def test_creates_count_against_the_per_minute_limit_with_retry_after():
    with ZendeskSandbox(tickets=20, rate_limit_per_minute=2) as sb:
        s = session(sb)
        answers = [s.post(sb.url + TICKETS, json=outreach(), timeout=5) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert answers[-1].json()["error"] == "APIRateLimitExceeded"
    assert len(sb.created_tickets()) == 2


def test_real_limits_give_list_tickets_its_own_tickets_index_budget():
    # The clock starts on a minute boundary, so all 101 calls fall in one window.
    with ZendeskSandbox(tickets=20, real_limits=True, now=NOW) as sb:
        s = session(sb)
        answers = [
            s.get(sb.url + TICKETS, params={"external_id": "x"}, timeout=5) for _ in range(101)
        ]
        create = s.post(sb.url + TICKETS, json=outreach(), timeout=5)

    assert [a.status_code for a in answers] == [200] * 100 + [429]
    header = answers[99].headers["Zendesk-RateLimit-tickets-index"]
    assert header.startswith("total=100; remaining=0;")
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 60
    assert create.status_code == 201  # creating spends only the account budget
