"""The waits table: each wait the response SLA times is one row, whatever the reruns."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from care.domain.waits import Wait, WaitKind
from care.store import Store
from care.store.waits import WaitObservation, waits
from tests.rules.builders import requester, ticket

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIRST = Wait(START, WaitKind.FIRST_REPLY)
NEXT = Wait(START + timedelta(hours=5), WaitKind.NEXT_REPLY)


def seen(
    wait: Wait | None,
    at: datetime,
    ticket_id: str = "1",
    breached: bool = False,
    group_id: str | None = "g1",
) -> WaitObservation:
    return WaitObservation("zendesk", ticket_id, group_id, wait, breached, at)


def rows(store: Store) -> list[dict[str, Any]]:
    with store._engine.connect() as conn:
        query = select(waits).order_by(waits.c.ticket_id, waits.c.started_at)
        return [dict(r._mapping) for r in conn.execute(query)]


def test_a_wait_seen_by_every_poll_is_one_row(store: Store) -> None:
    for minutes in (0, 5, 10):
        at = START + timedelta(minutes=minutes)
        store.record_waits([seen(FIRST, at)], now=at)
    store.record_waits([seen(FIRST, START)], now=START + timedelta(hours=1))  # a rerun

    assert rows(store) == [
        {
            "helpdesk": "zendesk",
            "ticket_id": "1",
            "started_at": START,
            "kind": "first_reply",
            "group_id": "g1",
            "breached_at": None,
            "ended_at": None,
            "end_group_id": None,
        }
    ]


def test_a_breach_is_marked_the_first_time_only(store: Store) -> None:
    store.record_waits([seen(FIRST, START)], now=START)
    first_breach = START + timedelta(hours=25)
    store.record_waits([seen(FIRST, first_breach, breached=True)], now=first_breach)
    later = first_breach + timedelta(hours=1)
    store.record_waits([seen(FIRST, later, breached=True)], now=later)
    store.record_waits([seen(FIRST, later, breached=False)], now=later)

    (row,) = rows(store)
    assert row["breached_at"] == first_breach


def test_a_wait_first_seen_breached_is_inserted_breached(store: Store) -> None:
    at = START + timedelta(days=2)
    store.record_waits([seen(FIRST, at, breached=True)], now=at)
    assert [r["breached_at"] for r in rows(store)] == [at]


def test_the_requester_writing_after_an_agent_reply_starts_a_second_wait(store: Store) -> None:
    store.record_waits([seen(FIRST, START)], now=START)
    replied = START + timedelta(hours=2)
    store.record_waits([seen(None, replied)], now=replied)  # the agent answered
    wrote_again = NEXT.started_at + timedelta(minutes=1)
    store.record_waits([seen(NEXT, wrote_again, group_id="g2")], now=wrote_again)

    first, second = rows(store)
    assert (first["kind"], first["ended_at"]) == ("first_reply", replied)
    assert (second["kind"], second["started_at"], second["group_id"], second["ended_at"]) == (
        "next_reply",
        NEXT.started_at,
        "g2",
        None,
    )


def test_a_wait_keeps_the_group_that_answered_it(store: Store) -> None:
    store.record_waits([seen(FIRST, START, group_id="billing")], now=START)
    replied = START + timedelta(hours=2)
    store.record_waits([seen(None, replied, group_id="escalations")], now=replied)
    later = replied + timedelta(hours=1)
    store.record_waits([seen(None, later, group_id="billing")], now=later)  # moved back

    (row,) = rows(store)
    assert (row["group_id"], row["end_group_id"]) == ("billing", "escalations")


def test_a_new_wait_seen_without_the_reply_between_ends_the_earlier_one(store: Store) -> None:
    store.record_waits([seen(FIRST, START)], now=START)
    at = NEXT.started_at + timedelta(minutes=3)
    store.record_waits([seen(NEXT, at)], now=at)

    first, second = rows(store)
    assert first["ended_at"] == at and second["ended_at"] is None


def test_a_pending_ticket_ends_its_wait_and_a_rerun_keeps_the_end(store: Store) -> None:
    store.record_waits([seen(FIRST, START)], now=START)
    pending = START + timedelta(hours=3)
    store.record_waits([seen(None, pending)], now=pending)
    store.record_waits([seen(None, pending + timedelta(hours=1))], now=pending)
    store.record_waits([seen(FIRST, START)], now=pending)  # the first page, read again

    (row,) = rows(store)
    assert row["ended_at"] == pending


def test_an_older_copy_of_a_ticket_neither_ends_nor_precedes_a_later_wait(store: Store) -> None:
    at = NEXT.started_at + timedelta(minutes=1)
    store.record_waits([seen(NEXT, at)], now=at)
    store.record_waits([seen(None, START + timedelta(hours=1))], now=at)  # pending back then
    store.record_waits([seen(FIRST, START)], now=at)  # and the first wait, read late

    (row,) = rows(store)
    assert (row["started_at"], row["ended_at"]) == (NEXT.started_at, None)


def test_tickets_are_kept_apart_and_a_duplicate_in_a_page_counts_once(store: Store) -> None:
    later = START + timedelta(hours=1)
    store.record_waits(
        [seen(FIRST, START, "1"), seen(None, later, "1"), seen(FIRST, START, "2")], now=later
    )
    assert [(r["ticket_id"], r["ended_at"]) for r in rows(store)] == [("2", None)]


def test_record_page_records_the_waits_with_the_page(store: Store) -> None:
    store.record_page([], [], [], START, observed=[seen(FIRST, START, breached=True)])
    assert [(r["ticket_id"], r["breached_at"]) for r in rows(store)] == [("1", START)]


def test_a_ticket_the_database_refuses_leaves_its_wait_out_and_the_others_in(
    store: Store,
) -> None:
    hostile = requester(email="jos\ud800@example.com")  # no driver can encode it
    tickets = [ticket(id=i, **({"requester": hostile} if i == "2" else {})) for i in "123"]
    observed = [seen(FIRST, START, i) for i in "123"]

    recorded = store.record_page(tickets, [], [], START, observed=observed)

    assert list(recorded.refused) == ["2"]
    assert [r["ticket_id"] for r in rows(store)] == ["1", "3"]


def test_a_page_of_waits_costs_a_few_statements_not_one_per_ticket(
    store: Store, statements: list[str]
) -> None:
    page = [seen(FIRST if i % 2 else None, START, str(i)) for i in range(300)]
    store.record_waits(page, now=START)
    sent = [s for s in statements if "ticket_waits" in s]
    assert len(sent) == 2
    assert len(rows(store)) == 150


def test_two_workers_recording_the_same_page_at_once_make_one_row_a_wait(
    store: Store, store_url: str
) -> None:
    page = [seen(FIRST, START, str(i), breached=i % 3 == 0) for i in range(100)]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(at: datetime) -> None:
        with Store.open(store_url) as mine:
            barrier.wait()
            try:
                mine.record_waits(page, now=at)
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)

    threads = [
        threading.Thread(target=worker, args=(START + timedelta(minutes=m),)) for m in (1, 2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    found = rows(store)
    assert len(found) == 100
    assert sum(r["breached_at"] is not None for r in found) == 34
