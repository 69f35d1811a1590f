from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from care.domain.model import Priority, Requester, Status, Ticket
from care.store import Store
from care.store.snapshots import snapshots

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def ticket(id: str, requester: str = "r1", created: datetime = NOW, **kw: Any) -> Ticket:
    fields: dict[str, Any] = {
        "helpdesk": "zendesk",
        "id": id,
        "subject": "Cannot log in",
        "description": "It says my password is wrong.",
        "status": Status.OPEN,
        "priority": Priority.NORMAL,
        "tags": frozenset({"vip", "login"}),
        "requester": Requester(id=requester, name="Ada Lovelace", email=f"{requester}@example.com"),
        "created_at": created,
        "updated_at": created,
    }
    fields.update(kw)
    return Ticket(**fields)


def rows(store: Store) -> dict[str, dict[str, Any]]:
    with store._engine.connect() as conn:
        return {r.ticket_id: dict(r._mapping) for r in conn.execute(select(snapshots))}


def test_upsert_inserts_then_updates_a_ticket(store: Store) -> None:
    store.upsert_snapshots([ticket("1")], seen_at=NOW)
    later = NOW + timedelta(hours=2)
    solved = replace(
        ticket("1"),
        status=Status.SOLVED,
        priority=None,
        tags=frozenset({"vip"}),
        group_id="g7",
        updated_at=later,
        solved_at=later,
    )
    store.upsert_snapshots([solved], seen_at=later)

    row = rows(store)["1"]
    assert row["status"] == "solved"
    assert row["priority"] is None
    assert row["tags"] == ["vip"]
    assert row["group_id"] == "g7"
    assert row["solved_at"] == later
    assert row["seen_at"] == later
    assert row["requester_email"] == "r1@example.com"


def test_an_older_copy_never_overwrites_a_newer_one(store: Store) -> None:
    newer = ticket("1", status=Status.SOLVED, updated_at=NOW + timedelta(hours=1))
    store.upsert_snapshots([newer], seen_at=NOW)
    store.upsert_snapshots([ticket("1")], seen_at=NOW + timedelta(hours=2))
    assert rows(store)["1"]["status"] == "solved"


def test_the_group_that_first_answered_is_kept_when_the_ticket_moves(store: Store) -> None:
    store.upsert_snapshots([ticket("1", group_id="billing")], seen_at=NOW)
    answered = NOW + timedelta(hours=1)
    first_reply = {"first_agent_reply_at": answered, "updated_at": answered}
    store.upsert_snapshots([ticket("1", group_id="billing", **first_reply)], seen_at=answered)
    escalated = NOW + timedelta(hours=3)
    moved = ticket("1", group_id="escalations", **(first_reply | {"updated_at": escalated}))
    store.upsert_snapshots([moved], seen_at=escalated)

    row = rows(store)["1"]
    assert (row["group_id"], row["first_reply_group_id"]) == ("escalations", "billing")


def test_a_ticket_first_seen_answered_takes_its_group_then(store: Store) -> None:
    store.upsert_snapshots([ticket("1", group_id="g2", first_agent_reply_at=NOW)], seen_at=NOW)
    store.upsert_snapshots([ticket("2", group_id="g2")], seen_at=NOW)
    got = rows(store)
    assert (got["1"]["first_reply_group_id"], got["2"]["first_reply_group_id"]) == ("g2", None)


def test_duplicates_within_one_page_keep_the_latest(store: Store) -> None:
    page = [
        ticket("1", status=Status.PENDING, updated_at=NOW + timedelta(minutes=5)),
        ticket("1", status=Status.OPEN),
        ticket("2"),
    ]
    store.upsert_snapshots(page, seen_at=NOW)
    got = rows(store)
    assert got["1"]["status"] == "pending"
    assert set(got) == {"1", "2"}


def test_requester_ticket_times_returns_tickets_created_within_the_window(store: Store) -> None:
    since = NOW - timedelta(days=7)
    store.upsert_snapshots(
        [
            ticket("old", created=since - timedelta(seconds=1)),
            ticket("edge", created=since),
            ticket("new", created=NOW),
            ticket("other", requester="r2", created=NOW - timedelta(days=1)),
            ticket("elsewhere", created=NOW, helpdesk="freshdesk"),
        ],
        seen_at=NOW,
    )
    times = store.requester_ticket_times("zendesk", ["r1", "r2", "r3"], since)
    assert times == {
        "r1": [("edge", since), ("new", NOW)],
        "r2": [("other", NOW - timedelta(days=1))],
        "r3": [],
    }


def test_datetimes_come_back_aware_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    created = datetime(2026, 3, 2, 10, 30, tzinfo=paris)  # 09:30 UTC
    store.upsert_snapshots([ticket("1", created=created)], seen_at=NOW)
    row = rows(store)["1"]
    assert row["created_at"] == NOW
    assert row["created_at"].tzinfo is UTC
    times = store.requester_ticket_times("zendesk", ["r1"], NOW)
    assert times["r1"][0][1].tzinfo is UTC


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        store.upsert_snapshots([ticket("1")], seen_at=datetime(2026, 3, 2, 9, 30))


def test_a_page_of_1000_tickets_is_a_handful_of_statements(
    store: Store, statements: list[str]
) -> None:
    page = [ticket(str(i), requester=f"r{i % 50}") for i in range(1000)]
    started = time.perf_counter()
    store.upsert_snapshots(page, seen_at=NOW)
    elapsed = time.perf_counter() - started
    assert len(statements) <= 3  # BEGIN and one executemany per 500 rows, not 1000
    assert len(rows(store)) == 1000
    assert elapsed < 1.0  # generous: the report measures the real figure


def test_the_start_of_a_wait_is_kept_with_the_snapshot(store: Store) -> None:
    reply, since = NOW - timedelta(hours=30), NOW - timedelta(hours=25)
    t = replace(ticket("7"), last_agent_reply_at=reply, waiting_since=since, group_hops=2)
    store.upsert_snapshots([t], NOW)
    (seen,) = store.previous("zendesk", ["7", "8"]).items()
    assert seen[0] == "7"
    assert (seen[1].last_agent_reply_at, seen[1].waiting_since, seen[1].group_hops) == (
        reply,
        since,
        2,
    )


def test_requester_accounts_are_remembered_per_helpdesk(store: Store) -> None:
    created = NOW - timedelta(days=900)
    store.remember_accounts("freshdesk", {"5001": created, "5002": None}, NOW)
    assert store.account_created("freshdesk", ["5001", "5002", "5003"]) == {
        "5001": created,
        "5002": None,
    }
    assert store.account_created("zendesk", ["5001"]) == {}
