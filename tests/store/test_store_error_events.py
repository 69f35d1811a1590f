"""The error-event inbox (SPEC §4b), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from care.domain.error_events import ErrorEvent, from_generic
from care.store import Store

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def event(event_id: str = "evt-1", source: str = "generic", **changes: object) -> ErrorEvent:
    base = ErrorEvent(
        source="generic",
        event_id=event_id,
        fingerprint="PAYMENT_DECLINED",
        customer_email="ann@example.com",
        customer_id="cus_42",
        title="PAYMENT_DECLINED",
        message="The card was declined.",
        url="https://app.example.com/checkout",
        error_code="PAYMENT_DECLINED",
        occurred_at=T0,
    )
    return replace(base, source=source, **changes)  # type: ignore[arg-type]


def test_an_event_is_recorded_once(store: Store) -> None:
    assert store.record_error_event(event(), T0 + timedelta(seconds=1)) is True
    again = event(message="a redelivery that says something else")
    assert store.record_error_event(again, T0 + timedelta(seconds=2)) is False
    [stored] = store.pending_error_events(10)
    assert stored.event == event()
    assert stored.received_at == T0 + timedelta(seconds=1)


def test_the_same_event_id_from_another_source_is_another_event(store: Store) -> None:
    assert store.record_error_event(event("e1"), T0)
    assert store.record_error_event(event("e1", source="sentry"), T0)
    assert {s.event.source for s in store.pending_error_events(10)} == {"generic", "sentry"}


def test_two_concurrent_writers_record_an_event_once(store_url: str) -> None:
    stores = [Store.open(store_url) for _ in range(4)]
    results: list[bool] = []
    start = threading.Barrier(len(stores))

    def write(s: Store) -> None:
        start.wait()
        for i in range(20):
            results.append(s.record_error_event(event(f"race-{i}"), T0))

    threads = [threading.Thread(target=write, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert results.count(True) == 20
        assert len(stores[0].pending_error_events(1000)) == 20
    finally:
        for s in stores:
            s.close()


def test_pending_events_come_oldest_received_first_up_to_the_limit(store: Store) -> None:
    for i, minutes in enumerate([5, 1, 3]):
        store.record_error_event(event(f"e{i}"), T0 + timedelta(minutes=minutes))
    assert [s.event.event_id for s in store.pending_error_events(10)] == ["e1", "e2", "e0"]
    assert [s.event.event_id for s in store.pending_error_events(2)] == ["e1", "e2"]


def test_settled_events_leave_the_pending_list_with_their_outcome(store: Store) -> None:
    for i in range(3):
        store.record_error_event(event(f"e{i}"), T0 + timedelta(minutes=i))
    first, second, _ = store.pending_error_events(10)
    at = T0 + timedelta(hours=1)
    outcomes = {first.id: "contacted", second.id: "skipped:no_email"}
    assert store.settle_error_events(outcomes, at) == 2
    assert [s.event.event_id for s in store.pending_error_events(10)] == ["e2"]
    assert store.error_event_counts() == {
        "new": 1,
        "done:contacted": 1,
        "done:skipped:no_email": 1,
    }
    # Settling again changes nothing: the first outcome stands.
    assert store.settle_error_events({first.id: "skipped:recent"}, at) == 0
    assert store.error_event_counts()["done:contacted"] == 1


def test_counts_of_an_empty_inbox(store: Store) -> None:
    assert store.error_event_counts() == {"new": 0}


def test_hostile_text_is_stored_cleaned(store: Store) -> None:
    # PostgreSQL refuses NUL in text: the domain cleaning takes it out before the store.
    hostile = from_generic(
        {
            "event_id": "evt\x00-9",
            "customer_email": "ann@example.com",
            "error_code": "E\x00RR",
            "message": "bad\x00 \ud800 \u202etext",
            "url": "https://app.example.com/\x00",
            "occurred_at": "2026-12-06T09:00:00Z",
        }
    )
    assert store.record_error_event(hostile, T0)
    [stored] = store.pending_error_events(10)
    assert stored.event == hostile
    assert stored.event.event_id == "evt-9"
    assert stored.event.message == "bad \ufffd text"


def test_an_event_without_customer_fields_round_trips(store: Store) -> None:
    bare = event("bare", customer_email=None, customer_id=None, url=None, error_code=None)
    store.record_error_event(bare, T0)
    assert store.pending_error_events(1)[0].event == bare


def test_two_outreach_runs_at_once_claim_disjoint_events(store_url: str) -> None:
    stores = [Store.open(store_url) for _ in range(3)]
    try:
        for i in range(60):
            stores[0].record_error_event(event(f"claim-{i}"), T0 + timedelta(seconds=i))
        taken: list[list[int]] = [[] for _ in stores]
        start = threading.Barrier(len(stores))

        def run(n: int) -> None:
            start.wait()
            while batch := stores[n].claim_error_events(f"run-{n}", T0 + timedelta(hours=1), 7):
                taken[n].extend(s.id for s in batch)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(len(stores))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        every = [i for ids in taken for i in ids]
        assert len(every) == len(set(every)) == 60  # each event judged by one run only
    finally:
        for s in stores:
            s.close()


def test_a_claim_is_taken_over_only_once_stale_and_settled_events_never(store: Store) -> None:
    for i in range(3):
        store.record_error_event(event(f"s-{i}"), T0 + timedelta(seconds=i))
    now = T0 + timedelta(hours=1)
    first = store.claim_error_events("dead-run", now, 10)
    assert [s.event.event_id for s in first] == ["s-0", "s-1", "s-2"]  # oldest first
    assert store.claim_error_events("next-run", now + timedelta(minutes=9), 10) == []
    store.settle_error_events({first[0].id: "contacted"}, now)
    later = store.claim_error_events("next-run", now + timedelta(minutes=11), 10)
    assert [s.event.event_id for s in later] == ["s-1", "s-2"]
