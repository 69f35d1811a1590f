"""The Freshdesk sandbox against Freshdesk API v2 semantics, over real HTTP on loopback."""

from __future__ import annotations

import base64
import http.client
import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from sandboxes.freshdesk import FreshdeskSandbox

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SINCE = (NOW - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture()
def sb() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=200, seed=7, now=NOW, page_limit=3) as sandbox:
        yield sandbox


def call(
    sb: FreshdeskSandbox, method: str, path: str, body: Any = None, key: str | None = None
) -> tuple[int, Any, dict[str, str]]:
    """One request: (status, parsed JSON or None, headers)."""
    if path.startswith("http"):
        split = urlsplit(path)
        path = f"{split.path}?{split.query}"
    auth = base64.b64encode(f"{key or sb.api_key}:X".encode()).decode()
    conn = http.client.HTTPConnection(urlsplit(sb.url).netloc, timeout=5)
    try:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Basic {auth}", "Content-Type": "application/json"}
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        return resp.status, json.loads(raw) if raw else None, dict(resp.getheaders())
    finally:
        conn.close()


def list_path(page: int, per_page: int = 10, include: str = "requester,stats") -> str:
    return (
        f"/api/v2/tickets?updated_since={SINCE}&order_by=updated_at&order_type=asc"
        f"&per_page={per_page}&page={page}&include={include}"
    )


def test_pages_follow_link_headers_and_stop_at_the_page_limit(sb):
    status, first, headers = call(sb, "GET", list_path(1))
    assert status == 200 and len(first) == 10
    assert headers["Link"].endswith('>; rel="next"') and "page=2" in headers["Link"]
    _, second, _ = call(sb, "GET", headers["Link"][1:].split(">")[0])
    keys = [(t["updated_at"], t["id"]) for t in first + second]
    assert keys == sorted(keys) and len({t["id"] for t in first + second}) == 20
    assert set(first[0]["requester"]) == {"id", "name", "email", "mobile", "phone"}
    assert "agent_responded_at" in first[0]["stats"] and "description" not in first[0]
    status, body, _ = call(sb, "GET", list_path(4))
    assert status == 400
    assert body["description"] == "Validation failed"
    assert body["errors"][0]["message"] == "You cannot access tickets beyond the 300th page"


def test_last_page_has_no_link_header(sb):
    status, rows, headers = call(sb, "GET", list_path(2, per_page=100))
    assert status == 200 and len(rows) == 100 and "Link" not in headers
    assert call(sb, "GET", list_path(1, per_page=101))[0] == 400


def test_many_tickets_share_the_same_updated_at_second():
    with FreshdeskSandbox(tickets=2000, seed=7, now=NOW) as sb:
        counts = Counter(sb.ticket(i)["updated_at"] for i in range(1, 2001))
    runs = [n for n in counts.values() if n >= 5]
    assert len(runs) >= 5 and max(runs) <= 20


def test_same_seed_and_now_give_identical_responses():
    with FreshdeskSandbox(tickets=50, now=NOW) as a, FreshdeskSandbox(tickets=50, now=NOW) as b:
        assert call(a, "GET", list_path(1))[1] == call(b, "GET", list_path(1))[1]
        stamps = [a.ticket(i)["updated_at"] for i in range(1, 51)]
    assert max(stamps) <= (NOW - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert min(stamps) >= (NOW - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_without_updated_since_only_tickets_created_in_the_last_30_days_are_listed(sb):
    sb.advance(5 * 86_400)
    _, rows, _ = call(sb, "GET", "/api/v2/tickets?per_page=100&page=2")
    _, first, _ = call(sb, "GET", "/api/v2/tickets?per_page=100&page=1")
    assert 0 < len(first) + len(rows) < 200
    cutoff = (NOW + timedelta(days=5) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert all(t["created_at"] >= cutoff for t in first + rows)


def test_put_tags_replaces_the_whole_list_and_bumps_updated_at(sb):
    before = sb.ticket(7)
    sb.touch(7, tags=["agent_tag", "billing"])
    status, body, _ = call(sb, "PUT", "/api/v2/tickets/7", {"tags": ["care_checked"]})
    assert status == 200 and body["tags"] == ["care_checked"]
    assert sb.ticket(7)["tags"] == ["care_checked"]  # agent_tag is gone
    assert sb.ticket(7)["updated_at"] > before["updated_at"]
    _, rows, _ = call(sb, "GET", list_path(2, per_page=100))
    assert rows[-1]["id"] == 7  # the changed ticket now sorts last


def test_put_with_invalid_priority_is_a_validation_error(sb):
    status, body, _ = call(sb, "PUT", "/api/v2/tickets/7", {"priority": 9})
    assert status == 400
    assert body["errors"] == [
        {
            "field": "priority",
            "message": "It should be one of these values: '1,2,3,4'",
            "code": "invalid_value",
        }
    ]
    assert call(sb, "GET", "/api/v2/tickets/99999")[0] == 404


def test_notes_are_private_by_default(sb):
    status, note, _ = call(sb, "POST", "/api/v2/tickets/3/notes", {"body": "CARE: escalated"})
    assert status == 201 and note["private"] is True and note["source"] == 2
    assert sb.notes(3)[-1]["body"] == "CARE: escalated"
    _, public, _ = call(sb, "POST", "/api/v2/tickets/3/notes", {"body": "hi", "private": False})
    assert public["private"] is False


def run_job(sb, ids: list[int]) -> tuple[dict, set[str]]:
    request = {"bulk_action": {"ids": ids, "properties": {"tags": ["bulk"]}}}
    status, body, _ = call(sb, "POST", "/api/v2/tickets/bulk_update", request)
    assert status == 202 and body["href"].endswith(f"/api/v2/jobs/{body['job_id']}")
    deadline, seen = time.monotonic() + 3, set()
    while (job := call(sb, "GET", f"/api/v2/jobs/{body['job_id']}")[1])["status"] in (
        "QUEUED",
        "IN_PROGRESS",
    ):
        seen.add(job["status"])
        assert time.monotonic() < deadline
        time.sleep(0.001)
    return job, seen


def test_bulk_update_job_reports_freshdesks_statuses_with_per_ticket_results(sb):
    job, seen = run_job(sb, [1, 2, 99999])
    assert job["status"] == "PARTIAL" and seen <= {"QUEUED", "IN_PROGRESS"}
    assert [(d["id"], d["success"]) for d in job["data"]] == [(1, True), (2, True), (99999, False)]
    assert sb.ticket(1)["tags"] == ["bulk"]
    assert run_job(sb, [3])[0]["status"] == "SUCCESS"
    assert run_job(sb, [99998])[0]["status"] == "FAILED"


def test_include_costs_credits_and_429_carries_retry_after():
    with FreshdeskSandbox(tickets=50, now=NOW, rate_limit_per_minute=7) as sb:
        status, _, headers = call(sb, "GET", list_path(1))
        assert status == 200 and headers["X-RateLimit-Used-CurrentRequest"] == "5"
        assert headers["X-RateLimit-Total"] == "7" and headers["X-RateLimit-Remaining"] == "2"
        assert call(sb, "GET", "/api/v2/tickets/1")[2]["X-RateLimit-Remaining"] == "1"
        status, _, headers = call(sb, "GET", list_path(1))
        assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60
        assert headers["X-RateLimit-Remaining"] == "1"
        sb.advance(int(headers["Retry-After"]))
        assert call(sb, "GET", list_path(1))[0] == 200


def test_bad_api_key_gets_the_invalid_credentials_body(sb):
    status, body, _ = call(sb, "GET", "/api/v2/tickets/1", key="wrong")
    assert status == 401
    assert body == {
        "code": "invalid_credentials",
        "message": "You have to be logged in to perform this action.",
    }


def test_injected_500_fires_once_and_malformed_breaks_one_record(sb):
    sb.inject("500@/api/v2/tickets")
    assert call(sb, "GET", list_path(1))[0] == 500
    assert call(sb, "GET", list_path(1))[0] == 200
    sb.inject("malformed:2")
    _, rows, _ = call(sb, "GET", "/api/v2/tickets/2")
    assert rows["updated_at"] == "not-a-date"
    assert call(sb, "GET", "/api/v2/tickets/2")[1]["updated_at"] != "not-a-date"
    sb.reset_log()
    sb.inject("conn_reset")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        call(sb, "GET", "/api/v2/tickets/2")
    assert sb.requests_log == [("GET", "/api/v2/tickets/2")]


def test_contacts_carry_created_at_and_requesters_are_shared(sb):
    requesters = Counter(sb.ticket(i)["requester_id"] for i in range(1, 201))
    assert max(requesters.values()) >= 3
    status, contact, _ = call(sb, "GET", f"/api/v2/contacts/{sb.ticket(1)['requester_id']}")
    assert status == 200 and contact["created_at"] < NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert contact["email"] and contact["name"]


def test_conversations_mark_requester_messages_incoming(sb):
    seen = set()
    after_two_agent_replies = False
    for ticket_id in range(1, 201):
        status, convs, _ = call(sb, "GET", f"/api/v2/tickets/{ticket_id}/conversations")
        assert status == 200
        pattern = "".join("r" if c["incoming"] else "a" for c in convs)
        seen |= {(c["incoming"], c["source"]) for c in convs}
        after_two_agent_replies |= pattern.startswith("aar")
        if "aar" in pattern:
            break
    assert {(True, 0), (False, 0)} <= seen and after_two_agent_replies
    status, page, headers = call(sb, "GET", f"/api/v2/tickets/{ticket_id}/conversations?per_page=1")
    assert len(page) == 1 and 'rel="next"' in headers["Link"]
