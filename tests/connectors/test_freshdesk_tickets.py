"""Reading Freshdesk: GET /api/v2/tickets with updated_since, requester and stats included."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from care.store import Store
from connectors.errors import AuthError
from connectors.freshdesk.client import FreshdeskHelpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from tests.connectors.conftest import FakeSleep


@pytest.fixture
def sandbox() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=450, seed=3, page_limit=3) as sb:
        yield sb


def client(sb: FreshdeskSandbox, **kwargs) -> FreshdeskHelpdesk:
    return FreshdeskHelpdesk(sb.url, sb.api_key, page_limit=3, **kwargs)


def month_ago() -> datetime:
    return datetime.now(UTC) - timedelta(days=31)


def read_all(helpdesk: FreshdeskHelpdesk, cursor: str | None = None, limit: int | None = None):
    pages = []
    while True:
        page = helpdesk.read_page(cursor, month_ago())
        pages.append(page)
        cursor = page.cursor
        if page.end_of_stream or (limit and len(pages) == limit):
            return pages, cursor


def list_calls(sb: FreshdeskSandbox) -> int:
    return sum(
        1 for method, path in sb.requests_log if method == "GET" and path == "/api/v2/tickets"
    )


def test_a_backfill_past_the_page_limit_reads_every_ticket_exactly_once(sandbox):
    helpdesk = client(sandbox)
    pages, _ = read_all(helpdesk)
    counts = Counter(t.id for p in pages for t in p.tickets)
    assert len(counts) == 450 and set(counts.values()) == {1}
    assert list_calls(sandbox) <= 6  # 100 a request, far past page 3


def test_tickets_sharing_one_updated_at_across_pages_are_neither_lost_nor_repeated(sandbox):
    helpdesk = client(sandbox)
    pages, _ = read_all(helpdesk)
    stamps = Counter(t.updated_at for p in pages for t in p.tickets)
    assert max(stamps.values()) >= 5  # the sandbox seeds runs of identical updated_at
    assert sum(len(p.tickets) for p in pages) == 450


def test_a_crash_mid_stream_resumes_from_the_saved_cursor(sandbox):
    first, saved = read_all(client(sandbox), limit=2)
    rest, _ = read_all(client(sandbox), cursor=saved)
    before = {t.id for p in first for t in p.tickets}
    after = {t.id for p in rest for t in p.tickets}
    assert before and after and not before & after and len(before | after) == 450


def test_a_caught_up_cursor_returns_only_what_changed(sandbox):
    helpdesk = client(sandbox)
    _, cursor = read_all(helpdesk)
    sandbox.advance(5)
    sandbox.touch(17, priority=4)
    pages, _ = read_all(helpdesk, cursor=cursor)
    assert [t.id for p in pages for t in p.tickets] == ["17"]


def test_each_requester_costs_one_contact_look_up_ever(sandbox):
    helpdesk = client(sandbox)
    pages, _ = read_all(helpdesk)
    requesters = {t.requester.id for p in pages for t in p.tickets}
    contact_calls = [p for m, p in sandbox.requests_log if p.startswith("/api/v2/contacts/")]
    assert len(contact_calls) == len(requesters)
    assert all(t.requester.created_at for p in pages for t in p.tickets)


def test_conversations_are_counted_only_where_an_escalation_depends_on_them(sandbox):
    helpdesk = client(sandbox)
    pages, _ = read_all(helpdesk)
    tickets = [t for p in pages for t in p.tickets]
    counted = {p.split("/")[4] for m, p in sandbox.requests_log if p.endswith("/conversations")}
    waiting = {
        t.id
        for t in tickets
        if not t.status.is_solved and t.first_agent_reply_at and t.requester_wrote_last
    }
    assert counted == waiting and len(counted) < len(tickets) / 4
    assert any(t.agent_replies >= 2 for t in tickets if t.id in waiting)


def conversation_calls(sb: FreshdeskSandbox) -> list[str]:
    return [p.split("/")[4] for m, p in sb.requests_log if p.endswith("/conversations")]


def test_reply_counts_kept_in_the_store_spare_a_new_process_every_recount(sandbox, tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'care.db'}") as store:
        first = client(sandbox, memory=store)
        pages, _ = read_all(first)
        store.upsert_snapshots([t for p in pages for t in p.tickets], datetime.now(UTC))
        counted = conversation_calls(sandbox)
        waiting = next(t for p in pages for t in p.tickets if t.id in counted)

        sandbox.reset_log()
        again, _ = read_all(client(sandbox, memory=store))  # a new process: nothing in memory
        assert conversation_calls(sandbox) == []
        replies = {t.id: t.agent_replies for p in again for t in p.tickets}
        assert replies == {t.id: t.agent_replies for p in pages for t in p.tickets}

        sandbox.advance(5)
        sandbox.touch(int(waiting.id), requester_message="Still broken.")
        sandbox.reset_log()
        read_all(client(sandbox, memory=store))
        assert conversation_calls(sandbox) == [waiting.id]  # someone wrote: counted again


def test_a_count_stored_while_the_ticket_was_solved_is_not_trusted(sandbox, tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'care.db'}") as store:
        pages, _ = read_all(client(sandbox, memory=store))
        tickets = [t for p in pages for t in p.tickets]
        solved = next(
            t
            for t in tickets
            if t.status.is_solved and t.first_agent_reply_at and t.requester_wrote_last
        )
        store.upsert_snapshots(tickets, datetime.now(UTC))  # its count is only the floor of 1
        sandbox.advance(5)
        sandbox.touch(int(solved.id), status=2)  # an agent reopens it; nobody writes
        sandbox.reset_log()
        read_all(client(sandbox, memory=store))
        assert conversation_calls(sandbox) == [solved.id]


def test_429_is_waited_out_and_the_page_arrives(sandbox):
    sleep = FakeSleep()
    helpdesk = client(sandbox, sleep=sleep)
    sandbox.inject("429@/api/v2/tickets")
    page = helpdesk.read_page(None, month_ago())
    assert page.tickets and helpdesk.stats.rate_limited == 1 and sleep.waits


def test_a_server_error_is_retried(sandbox):
    helpdesk = client(sandbox, sleep=FakeSleep())
    sandbox.inject("503@/api/v2/tickets")
    assert helpdesk.read_page(None, month_ago()).tickets and helpdesk.stats.retries == 1


def test_a_wrong_api_key_names_the_variable(sandbox):
    helpdesk = FreshdeskHelpdesk(sandbox.url, "not-the-key")
    with pytest.raises(AuthError, match="CARE_FRESHDESK_API_KEY") as caught:
        helpdesk.read_page(None, month_ago())
    assert "not-the-key" not in str(caught.value)


def test_a_malformed_ticket_is_skipped_with_its_reason(sandbox):
    sandbox.inject("malformed:5")
    pages, _ = read_all(client(sandbox))
    skipped = [s for p in pages for s in p.skipped]
    assert [s.ticket_id for s in skipped] == ["5"] and "updated_at" in skipped[0].reason
    assert sum(len(p.tickets) for p in pages) == 449


def test_pacing_on_the_remaining_budget_avoids_429s():
    from connectors.freshdesk.client import pace_by_remaining_budget

    def pace(remaining: str) -> float:
        return pace_by_remaining_budget(
            {"X-RateLimit-Total": "200", "X-RateLimit-Remaining": remaining}
        )

    assert (pace("150"), pace("20"), pace("10"), pace("0")) == (0, 0, 30.0, 60.0)
    assert pace_by_remaining_budget({}) == 0
    with FreshdeskSandbox(tickets=450, seed=3, rate_limit_per_minute=60) as sb:
        waits = []

        def sleep(seconds):
            waits.append(seconds)
            sb.advance(seconds)  # the sandbox's minute passes instead of ours

        helpdesk = FreshdeskHelpdesk(sb.url, sb.api_key, sleep=sleep)
        pages, _ = read_all(helpdesk)
    assert sum(len(p.tickets) for p in pages) == 450
    assert waits and helpdesk.stats.rate_limited == 0


def test_a_ticket_read_at_the_cursor_second_is_read_again_once_it_changes(sandbox):
    helpdesk = client(sandbox)
    _, cursor = read_all(helpdesk)
    for priority in (2, 3, 4):  # the same ticket changes poll after poll
        sandbox.advance(60)
        sandbox.touch(17, priority=priority)
        pages, cursor = read_all(helpdesk, cursor=cursor)
        assert [t.id for p in pages for t in p.tickets] == ["17"]
