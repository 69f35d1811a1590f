"""The sandboxes' real-limits mode: the vendors' documented per-minute limits, and the
connectors reading everything through them.

The limit-by-limit tests keep a real minute and move the sandbox clock by the
Retry-After it answered (no sleeping); the connector tests shrink the minute to
MINUTE_S seconds and really wait, as the product does.
"""

from __future__ import annotations

import base64
import time
from collections import Counter
from collections.abc import Callable

import pytest
import requests

from connectors.freshdesk.client import FreshdeskHelpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.connectors.conftest import month_ago, oauth_client

MINUTE_S = 1.0


def shrunk_sleep(seconds: float) -> None:
    """Sleeps the product asks for, at most one shrunken minute: Retry-After (whole
    seconds, >= 1) is waited out in full, Freshdesk's pacing of up to a minute is cut."""
    time.sleep(min(seconds, MINUTE_S))


def at_window_start(sb: ZendeskSandbox | FreshdeskSandbox, minute_s: float = 60.0) -> None:
    """Move the sandbox clock to just past the start of its next rate-limit window, so a
    burst of requests falls in one window."""
    sb.advance(minute_s - sb.clock() % minute_s + 0.01)


def burst(send: Callable[[int], requests.Response], count: int) -> list[requests.Response]:
    return [send(n) for n in range(1, count + 1)]


# -- Zendesk -------------------------------------------------------------------------


@pytest.fixture
def zendesk() -> ZendeskSandbox:
    with ZendeskSandbox(tickets=150, seed=11, job_delay_ms=5, real_limits=True) as sb:
        yield sb


def zendesk_session(sb: ZendeskSandbox) -> requests.Session:
    session = requests.Session()
    secret = base64.b64encode(f"{sb.admin_email}/token:{sb.api_token}".encode()).decode()
    session.headers["Authorization"] = f"Basic {secret}"
    return session


def test_the_eleventh_export_request_in_a_minute_gets_429_until_the_minute_is_over(zendesk):
    # 10 requests a minute:
    # https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
    http = zendesk_session(zendesk)
    start = int(zendesk.clock()) - 86_400
    url = f"{zendesk.url}/api/v2/incremental/tickets/cursor"
    at_window_start(zendesk)
    answers = burst(lambda _: http.get(url, params={"start_time": start, "per_page": 1}), 11)
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    refused = answers[-1]
    assert refused.json() == {
        "error": "APIRateLimitExceeded",
        "description": "Number of allowed incremental export API requests per minute exceeded",
    }
    wait = int(refused.headers["Retry-After"])
    assert 55 <= wait <= 60
    zendesk.advance(wait)
    assert http.get(url, params={"start_time": start, "per_page": 1}).status_code == 200


def test_the_101st_ticket_update_in_a_minute_gets_429_with_the_tickets_update_header(zendesk):
    # Update Ticket: 100 a minute per account, `Zendesk-RateLimit-tickets-update`:
    # https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
    http = zendesk_session(zendesk)
    open_ids = [n for n in range(1, 151) if zendesk.ticket(n)["status"] != "closed"]
    at_window_start(zendesk)
    answers = burst(
        lambda n: http.put(
            f"{zendesk.url}/api/v2/tickets/{open_ids[n - 1]}", json={"ticket": {"priority": "high"}}
        ),
        100,
    )
    assert {a.status_code for a in answers} == {200}
    assert (
        answers[0]
        .headers["Zendesk-RateLimit-tickets-update"]
        .startswith("total=100; remaining=99; resets=")
    )
    bulk = http.put(  # update_many spends the same allocation (our assumption, see limits.py)
        f"{zendesk.url}/api/v2/tickets/update_many",
        params={"ids": f"{open_ids[100]},{open_ids[101]}"},
        json={"ticket": {"priority": "low"}},
    )
    assert bulk.status_code == 429
    assert bulk.json()["error"] == "APIRateLimitExceeded"
    total, remaining, resets = bulk.headers["Zendesk-RateLimit-tickets-update"].split("; ")
    assert (total, remaining) == ("total=100", "remaining=0")
    assert resets == f"resets={bulk.headers['Retry-After']}"
    assert http.get(f"{zendesk.url}/api/v2/tickets/1").status_code == 200  # reads go on
    zendesk.advance(int(bulk.headers["Retry-After"]))
    again = http.put(
        f"{zendesk.url}/api/v2/tickets/{open_ids[100]}", json={"ticket": {"priority": "low"}}
    )
    assert again.status_code == 200
    assert zendesk.ticket(open_ids[100])["priority"] == "low"


def test_the_701st_request_in_a_minute_gets_429_and_the_headers_count_down(zendesk):
    # Enterprise: 700 a minute, `X-Rate-Limit` / `X-Rate-Limit-Remaining`, 429 + Retry-After:
    # https://developer.zendesk.com/api-reference/introduction/rate-limits/
    http = zendesk_session(zendesk)
    at_window_start(zendesk)
    answers = burst(lambda n: http.get(f"{zendesk.url}/api/v2/tickets/{n % 150 + 1}"), 701)
    assert {a.status_code for a in answers[:700]} == {200}
    assert (answers[0].headers["X-Rate-Limit"], answers[0].headers["X-Rate-Limit-Remaining"]) == (
        "700",
        "699",
    )
    assert answers[699].headers["X-Rate-Limit-Remaining"] == "0"
    refused = answers[700]
    assert refused.status_code == 429
    assert refused.json() == {
        "error": "APIRateLimitExceeded",
        "description": "Number of allowed API requests per minute exceeded",
    }
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"
    zendesk.advance(int(refused.headers["Retry-After"]))
    after = http.get(f"{zendesk.url}/api/v2/tickets/1")
    assert (after.status_code, after.headers["X-Rate-Limit-Remaining"]) == (200, "699")


def test_the_zendesk_connector_reads_every_ticket_through_the_export_limit():
    with ZendeskSandbox(tickets=250, seed=11, real_limits=True, minute_s=MINUTE_S) as sb:
        client = oauth_client(sb, sleep=shrunk_sleep, per_page=20)  # 13 pages, 10 a minute
        ids, cursor = set(), None
        while True:
            page = client.read_page(cursor, month_ago())
            ids.update(t.id for t in page.tickets)
            cursor = page.cursor
            if page.end_of_stream:
                break
    assert ids == {str(n) for n in range(1, 251)}
    assert sb.limits.refused["export"] >= 1 and client.stats.rate_limited >= 1


# -- Freshdesk -----------------------------------------------------------------------


def freshdesk_session(sb: FreshdeskSandbox) -> requests.Session:
    session = requests.Session()
    session.auth = (sb.api_key, "X")
    return session


def test_freshdesk_trial_allows_50_credits_a_minute_and_includes_cost_two_more_each():
    # Trial: 50 a minute: https://support.freshdesk.com/support/solutions/articles/225439
    # Each include on the ticket list costs 2 more credits; headers and 429 + Retry-After:
    # https://developers.freshdesk.com/api/#ratelimit
    with FreshdeskSandbox(tickets=40, real_limits=True, plan="trial") as sb:
        http = freshdesk_session(sb)
        at_window_start(sb)
        listed = http.get(
            f"{sb.url}/api/v2/tickets", params={"include": "stats,requester", "per_page": 1}
        )
        assert listed.status_code == 200
        assert (
            listed.headers["X-RateLimit-Total"],
            listed.headers["X-RateLimit-Remaining"],
            listed.headers["X-RateLimit-Used-CurrentRequest"],
        ) == ("50", "45", "5")
        answers = burst(lambda _: http.get(f"{sb.url}/api/v2/agents/me"), 46)
        assert [a.status_code for a in answers] == [200] * 45 + [429]
        refused = answers[-1]
        assert refused.headers["X-RateLimit-Remaining"] == "0"
        assert refused.headers["X-RateLimit-Used-CurrentRequest"] == "0"
        sb.advance(int(refused.headers["Retry-After"]))
        assert http.get(f"{sb.url}/api/v2/agents/me").headers["X-RateLimit-Remaining"] == "49"


@pytest.mark.parametrize(
    ("plan", "calls", "credits"), [("growth", 20, 200), ("pro", 100, 400), ("enterprise", 200, 700)]
)
def test_the_tickets_list_has_its_own_maximum_a_minute_by_plan(plan, calls, credits):
    # "Tickets List - 20 / 100 / 200" within 200 / 400 / 700 calls a minute:
    # https://support.freshdesk.com/support/solutions/articles/225439
    with FreshdeskSandbox(tickets=40, real_limits=True, plan=plan) as sb:
        http = freshdesk_session(sb)
        at_window_start(sb)
        url = f"{sb.url}/api/v2/tickets"
        answers = burst(lambda _: http.get(url, params={"per_page": 1}), calls + 1)
        assert [a.status_code for a in answers] == [200] * calls + [429]
        refused = answers[-1]
        assert refused.headers["X-RateLimit-Total"] == str(credits)
        assert int(refused.headers["X-RateLimit-Remaining"]) == credits - calls  # credits left
        assert http.get(f"{sb.url}/api/v2/agents/me").status_code == 200  # other calls go on
        sb.advance(int(refused.headers["Retry-After"]))
        assert http.get(url, params={"per_page": 1}).status_code == 200


def test_the_81st_ticket_update_in_a_minute_on_growth_gets_429():
    # Growth: "Ticket Update - 80": https://support.freshdesk.com/support/solutions/articles/225439
    with FreshdeskSandbox(tickets=100, real_limits=True, plan="growth") as sb:
        http = freshdesk_session(sb)
        before = sb.ticket(81)["updated_at"]
        at_window_start(sb)
        answers = burst(
            lambda n: http.put(f"{sb.url}/api/v2/tickets/{n}", json={"priority": 3}), 81
        )
        assert [a.status_code for a in answers] == [200] * 80 + [429]
        assert sb.ticket(81)["updated_at"] == before  # the refused update did nothing
        sb.advance(int(answers[-1].headers["Retry-After"]))
        again = http.put(f"{sb.url}/api/v2/tickets/81", json={"priority": 4})
        assert again.status_code == 200 and sb.ticket(81)["priority"] == 4


def test_the_freshdesk_connector_reads_every_ticket_within_the_plans_credits():
    with FreshdeskSandbox(tickets=600, real_limits=True, plan="growth", minute_s=MINUTE_S) as sb:
        helpdesk = FreshdeskHelpdesk(sb.url, sb.api_key, sleep=shrunk_sleep)
        ids, cursor = set(), None
        while True:
            page = helpdesk.read_page(cursor, month_ago())
            ids.update(t.id for t in page.tickets)
            cursor = page.cursor
            if page.end_of_stream:
                break
    assert len(ids) == 600
    by_window = Counter()
    for at, credits in sb.spending:
        by_window[int(at // MINUTE_S)] += credits
    assert sum(by_window.values()) > 200 >= max(by_window.values())  # Growth: 200 a minute
