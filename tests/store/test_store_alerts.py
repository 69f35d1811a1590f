"""The alert outbox: applied `notify` actions are claimed by one sender, sent once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from care.domain.actions import Action
from care.store import ActionRecord, Store

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
RULES = ("resolve.two_interactions", "resolve.response_sla")
ESCALATION = "resolve.two_interactions"


def escalation(ticket_id: str, helpdesk: str = "zendesk", **kw: Any) -> Action:
    fields: dict[str, Any] = {
        "rule": ESCALATION,
        "helpdesk": helpdesk,
        "ticket_id": ticket_id,
        "reason": "the requester wrote again after 2 agent replies",
        "add_tags": frozenset({"care_escalated"}),
        "notify": True,
    }
    fields.update(kw)
    return Action(**fields)


def applied(store: Store, *made: Action, at: datetime = NOW) -> None:
    """Record the actions and apply them, as a poll would."""
    store.record_actions([(a, None) for a in made], at)
    for helpdesk in {a.helpdesk for a in made}:
        claimed = store.claim_pending(helpdesk, "applier", now=at)
        store.mark_applied([r.id for r in claimed], at)


def claim(store: Store, token: str, limit: int = 100, **kw: Any) -> list[ActionRecord]:
    options: dict[str, Any] = {
        "max_attempts": 3,
        "applied_since": NOW - timedelta(hours=24),
        "now": NOW,
    }
    options.update(kw)
    return store.claim_alerts("zendesk", RULES, token, limit, **options)


def test_only_applied_notify_actions_of_the_alerting_rules_are_claimed(store: Store) -> None:
    applied(
        store,
        escalation("1"),
        escalation("2", rule="resolve.response_sla", variant="breached"),
        escalation("3", rule="resolve.response_sla", variant="warning", notify=False),
        escalation("4", helpdesk="freshdesk"),
    )
    store.record_actions([(escalation("5"), None)], NOW)  # recorded, not applied yet
    applied(store, escalation("6"), at=NOW - timedelta(hours=25))  # older than the limit

    claimed = claim(store, "w1")

    assert [(r.ticket_id, r.rule) for r in claimed] == [
        ("1", ESCALATION),
        ("2", "resolve.response_sla"),
    ]
    assert all(r.claim_token == "alert:w1" and r.notified_at is None for r in claimed)


def test_only_the_configured_rules_alert(store: Store) -> None:
    applied(store, escalation("1"), escalation("2", rule="resolve.response_sla"))
    claimed = store.claim_alerts(
        "zendesk", [ESCALATION], "w1", 10, max_attempts=3, applied_since=NOW, now=NOW
    )
    assert [r.ticket_id for r in claimed] == ["1"]


def test_a_sent_alert_is_never_claimed_again(store: Store) -> None:
    applied(store, escalation("1"), escalation("2"))
    first, second = claim(store, "w1")
    assert store.mark_alert_sent(first.id, NOW, token="w1")
    store.release_alerts([second.id], token="w1")

    later = NOW + timedelta(hours=1)
    (retried,) = claim(store, "w2", now=later)
    assert retried.ticket_id == "2" and store.mark_alert_sent(retried.id, later, token="w2")
    assert claim(store, "w3", now=later + timedelta(hours=2)) == []
    (sent,) = [r for r in store.recent_actions() if r.ticket_id == "1"]
    assert sent.notified_at == NOW and sent.notify_error is None and sent.claim_token is None


def test_claimers_in_two_threads_get_disjoint_alerts(store: Store) -> None:
    applied(store, *(escalation(str(i)) for i in range(120)))
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def sender(token: str) -> None:
        barrier.wait()
        while batch := claim(store, token, limit=7):
            claimed[token].extend(r.id for r in batch)
            for r in batch:
                assert store.mark_alert_sent(r.id, NOW, token=token)

    threads = [threading.Thread(target=sender, args=(t,)) for t in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    a, b = set(claimed["a"]), set(claimed["b"])
    assert not a & b
    assert len(a) + len(b) == len(claimed["a"]) + len(claimed["b"]) == 120


def test_a_failed_alert_is_retried_until_max_attempts_then_keeps_its_error(store: Store) -> None:
    applied(store, escalation("1"))
    for attempt in range(1, 4):
        token = f"w{attempt}"
        (row,) = claim(store, token)
        assert row.notify_attempts == attempt - 1
        assert store.mark_alert_failed(row.id, f"slack: HTTP 500 (try {attempt})", token=token)

    assert claim(store, "w4") == []
    (given_up,) = store.recent_actions()
    assert given_up.notify_attempts == 3 and given_up.notified_at is None
    assert given_up.notify_error == "slack: HTTP 500 (try 3)"


def test_a_live_alert_claim_is_left_alone_and_a_stale_one_taken_over(store: Store) -> None:
    applied(store, escalation("1"))
    (row,) = claim(store, "w1")
    assert claim(store, "w2", now=NOW + timedelta(minutes=5)) == []

    (taken,) = claim(store, "w2", now=NOW + timedelta(minutes=11))

    assert taken.id == row.id and taken.claim_token == "alert:w2"
    assert not store.mark_alert_sent(row.id, NOW, token="w1")  # the old owner changes nothing
    assert not store.mark_alert_failed(row.id, "late", token="w1")
    assert store.mark_alert_sent(row.id, NOW, token="w2")


def test_released_alerts_count_no_attempt_and_excluded_ones_wait(store: Store) -> None:
    applied(store, escalation("1"), escalation("2"))
    first, second = claim(store, "w1")
    store.release_alerts([first.id, second.id], token="w1")

    (again,) = claim(store, "w2", exclude=[first.id])

    assert again.id == second.id and again.notify_attempts == 0
