"""The second wall: a ticket the database refuses is quarantined on its own, the rest of
its page is recorded; a newer version lets it out (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import OperationalError

from care.store import Store
from care.store.quarantine import STORE, SetAside
from tests.rules.builders import requester, ticket
from tests.store.test_store_actions import action

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def page(*hostile: str, **fields):
    """Tickets 1..3; those named in `hostile` carry `fields` the database may refuse."""
    return [ticket(id=i, **(fields if i in hostile else {})) for i in ("1", "2", "3")]


def stored_tickets(store: Store) -> int:
    return store.overview(NOW).tickets["zendesk"].count


def test_a_lone_surrogate_no_driver_can_encode_quarantines_its_ticket_only(store):
    tickets = page("2", requester=requester(email="jos\ud800@example.com"))
    decided = [(action(t.id), None) for t in tickets]

    recorded = store.record_page(tickets, decided, [], NOW)

    assert list(recorded.refused) == ["2"]
    assert "UnicodeEncodeError" in recorded.refused["2"]
    assert stored_tickets(store) == 2
    assert store.known_keys("zendesk", {"1", "2", "3"}) == {
        action("1").key,
        action("3").key,
    }


def test_a_nul_in_a_text_is_refused_by_postgresql_and_quarantined(store, backend):
    if backend != "postgresql":
        pytest.skip("SQLite stores NUL")
    tickets = page("3", requester=requester(email="ana\x00@example.com"))
    recorded = store.record_page(tickets, [], [], NOW)
    assert recorded.refused == {
        "3": "DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes"
    }
    assert stored_tickets(store) == 2


def test_a_page_the_database_takes_is_recorded_whole_in_one_go(store):
    recorded = store.record_page(page(), [(action("1"), None)], [], NOW)
    assert (recorded.refused, recorded.released) == ({}, 0)
    assert stored_tickets(store) == 3


def test_a_database_that_is_down_fails_the_page_instead_of_quarantining(store, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr("care.store.snapshots.upsert_all", down)
    with pytest.raises(OperationalError):
        store.record_page(page(), [], [], NOW)


def test_quarantine_lists_the_ticket_with_its_reason_and_counts_sightings(store):
    reason = "via is a list, not an object"
    seen = NOW - timedelta(hours=1)
    store.quarantine([SetAside("zendesk", "2", "read", reason, seen)], NOW)
    store.quarantine([SetAside("zendesk", "2", "read", reason, seen)], NOW + timedelta(minutes=5))

    (entry,) = store.quarantined()

    assert (entry.ticket_id, entry.stage, entry.reason, entry.times_seen) == (
        "2",
        "read",
        reason,
        2,
    )
    assert (entry.first_seen_at, entry.last_seen_at) == (NOW, NOW + timedelta(minutes=5))
    assert store.overview(NOW).quarantined_by_helpdesk == {"zendesk": 1}


def test_a_reason_quoting_hostile_text_is_stored_clean(store):
    store.quarantine([SetAside("zendesk", "2", STORE, "DataError: a\x00b \ud800", None)], NOW)
    assert store.quarantined()[0].reason == "DataError: ab \ufffd"


def test_a_newer_version_recorded_lets_the_ticket_out_an_older_one_does_not(store):
    set_aside_at = NOW - timedelta(minutes=10)
    store.quarantine([SetAside("zendesk", "2", "read", "broken", set_aside_at)], NOW)

    older = store.record_page([ticket(id="2", updated_at=set_aside_at - timedelta(1))], [], [], NOW)
    assert older.released == 0 and [q.ticket_id for q in store.quarantined()] == ["2"]

    newer = store.record_page([ticket(id="2", updated_at=set_aside_at)], [], [], NOW)
    assert newer.released == 1 and store.quarantined() == []
