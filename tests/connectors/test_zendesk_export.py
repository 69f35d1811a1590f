"""Reading tickets: GET /api/v2/incremental/tickets/cursor with metric_sets and users."""

from __future__ import annotations

from care.domain.model import Status
from sandboxes.zendesk import SCENARIOS
from tests.connectors.conftest import month_ago, oauth_client


def read_all(client, cursor=None, limit=None):
    pages = []
    while True:
        page = client.read_page(cursor, month_ago())
        pages.append(page)
        cursor = page.cursor
        if page.end_of_stream or (limit and len(pages) == limit):
            return pages, cursor


def test_given_three_pages_when_read_to_end_of_stream_then_every_ticket_once(sandbox):
    client = oauth_client(sandbox, per_page=100)
    pages, _ = read_all(client)
    ids = [t.id for p in pages for t in p.tickets]
    assert len(pages) == 3
    assert sorted(ids, key=int) == [str(i) for i in range(1, 251)]
    assert client.stats.reads == 3  # one request per page: sideloads, no per-ticket calls


def test_a_page_carries_requesters_and_metrics_from_its_sideloads(sandbox):
    client = oauth_client(sandbox)
    (page,), _ = read_all(client)
    by_id = {t.id: t for t in page.tickets}
    loyal = by_id[str(SCENARIOS["loyal_customer"].ticket_id)]
    assert loyal.requester.created_at is not None and loyal.requester.email
    escalate = by_id[str(SCENARIOS["two_interactions"].ticket_id)]
    assert escalate.agent_replies == 2 and escalate.requester_wrote_last
    assert by_id[str(SCENARIOS["survey_due"].ticket_id)].status is Status.SOLVED


def test_cursor_resumes_after_a_crash_mid_stream_without_gaps_or_repeats(sandbox):
    first = oauth_client(sandbox, per_page=100)
    pages, saved_cursor = read_all(first, limit=2)  # then the process dies
    first.close()
    second = oauth_client(sandbox, per_page=100)
    rest, _ = read_all(second, cursor=saved_cursor)
    before = [t.id for p in pages for t in p.tickets]
    after = [t.id for p in rest for t in p.tickets]
    assert len(before) == 200 and not set(before) & set(after)
    assert len(before) + len(after) == 250


def test_a_caught_up_cursor_returns_only_what_changed_since(sandbox):
    client = oauth_client(sandbox)
    _, cursor = read_all(client)
    sandbox.touch(7, status="pending")
    sandbox.advance(61)  # the export hides the last minute
    pages, _ = read_all(client, cursor=cursor)
    assert [t.id for p in pages for t in p.tickets] == ["7"]
    assert pages[-1].tickets[0].status is Status.PENDING


def test_malformed_ticket_is_skipped_with_its_reason_and_the_page_goes_on(sandbox):
    sandbox.inject("malformed:5")
    (page,), _ = read_all(oauth_client(sandbox))
    assert len(page.tickets) == 249
    assert [s.ticket_id for s in page.skipped] == ["5"]
    assert page.skipped[0].reason


def test_tickets_are_re_read_a_hundred_per_request_and_a_missing_one_is_none(sandbox):
    client = oauth_client(sandbox)
    sandbox.touch(34, status="open")
    ids = [str(i) for i in range(1, 121)] + ["999999"]
    found = client.tickets(ids)
    assert client.stats.reads == 2
    assert found["999999"] is None
    assert found["34"].status is Status.OPEN and found["34"].requester.email
    assert client.ticket("35").status is Status.SOLVED


def test_tickets_handled_by_ai_agents_are_read_too(sandbox):
    sandbox.ai_agent_tickets.add(12)
    page = oauth_client(sandbox).read_page(None, month_ago())
    assert "12" in {t.id for t in page.tickets} and len(page.tickets) == 250
