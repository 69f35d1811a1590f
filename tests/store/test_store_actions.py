from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from care.domain.actions import Action, NoteDraft
from care.domain.model import Priority
from care.store import ActionRecord, ActionState, Store

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def action(ticket_id: str = "1", rule: str = "assist.repeat_contact", **kw: Any) -> Action:
    fields: dict[str, Any] = {
        "rule": rule,
        "helpdesk": "zendesk",
        "ticket_id": ticket_id,
        "reason": "the requester opened 3 tickets within 7 days",
        "add_tags": frozenset({"care_repeat_contact"}),
    }
    fields.update(kw)
    return Action(**fields)


def record(store: Store, n: int, helpdesk: str = "zendesk") -> list[Action]:
    made = [action(str(i), helpdesk=helpdesk) for i in range(n)]
    assert store.record_actions([(a, None) for a in made], NOW) == n
    return made


def test_recording_the_same_actions_twice_records_them_once(store: Store) -> None:
    items = [(action("1"), None), (action("2"), None)]
    assert store.record_actions(items, NOW) == 2
    assert store.record_actions([*items, (action("3"), None)], NOW) == 1
    assert store.actions_by_rule() == {"assist.repeat_contact": {"pending": 3}}


def test_variants_of_one_rule_are_distinct_actions(store: Store) -> None:
    warning = action(rule="resolve.response_sla", variant="warning")
    breached = action(rule="resolve.response_sla", variant="breached")
    assert store.record_actions([(warning, None), (breached, None), (warning, None)], NOW) == 2


def test_a_record_carries_everything_the_applier_needs(store: Store) -> None:
    escalation = action(
        rule="resolve.two_interactions",
        add_tags=frozenset({"care_escalated"}),
        set_priority=Priority.URGENT,
        set_group="g-escalations",
        note=NoteDraft("resolve.two_interactions", public=False),
        notify=True,
    )
    greeting = action("2", rule="connect.greeting", note=NoteDraft("connect.greeting", public=True))
    survey = action("3", rule="enhance.survey", add_tags=frozenset(), survey_due_at=NOW)
    store.record_actions(
        [
            (escalation, "resolve.two_interactions: let's talk"),
            (greeting, "Hi Ada"),
            (survey, None),
        ],
        NOW,
    )

    by_key = {r.key: r for r in store.claim_pending("zendesk", "w1")}
    esc = by_key[escalation.key]
    assert esc.state == ActionState.APPLYING
    assert esc.claim_token == "w1"
    assert esc.add_tags == frozenset({"care_escalated"})
    assert esc.set_priority is Priority.URGENT
    assert esc.remove_tags == frozenset()
    assert (esc.set_group, esc.note, esc.note_public, esc.notify) == (
        "g-escalations",
        "resolve.two_interactions: let's talk",
        False,
        True,
    )
    assert esc.reason == escalation.reason
    assert esc.created_at == NOW
    assert by_key[greeting.key].note_public is True
    assert survey.key not in by_key  # nothing to write: applied as soon as it is recorded
    (recorded_survey,) = [r for r in store.recent_actions() if r.key == survey.key]
    assert recorded_survey.state == ActionState.APPLIED and recorded_survey.applied_at == NOW
    assert recorded_survey.survey_due_at == NOW


def test_claimers_in_two_threads_get_disjoint_sets(store: Store) -> None:
    record(store, 200)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def claimer(token: str) -> None:
        barrier.wait()
        while batch := store.claim_pending("zendesk", token, limit=7):
            claimed[token].extend(r.id for r in batch)
            assert all(r.claim_token == token for r in batch)

    threads = [threading.Thread(target=claimer, args=(t,)) for t in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    a, b = set(claimed["a"]), set(claimed["b"])
    assert not a & b
    assert len(a) + len(b) == len(claimed["a"]) + len(claimed["b"]) == 200


def test_claim_is_per_helpdesk_and_respects_the_limit(store: Store) -> None:
    record(store, 5)
    record(store, 2, helpdesk="freshdesk")
    first = store.claim_pending("zendesk", "w1", limit=3)
    assert [r.ticket_id for r in first] == ["0", "1", "2"]
    assert [r.ticket_id for r in store.claim_pending("zendesk", "w2")] == ["3", "4"]
    assert store.claim_pending("zendesk", "w3") == []
    assert len(store.claim_pending("freshdesk", "w3")) == 2


def test_stale_applying_rows_can_be_claimed_again(store: Store) -> None:
    record(store, 2)
    first = store.claim_pending("zendesk", "dead-worker", now=NOW)
    store.mark_job([first[0].id], "job-42")

    assert store.claim_pending("zendesk", "w2", now=NOW + timedelta(minutes=9)) == []
    again = store.claim_pending("zendesk", "w2", now=NOW + timedelta(minutes=11))
    assert [r.id for r in again] == [r.id for r in first]
    assert all(r.claim_token == "w2" for r in again)
    assert again[0].job_id == "job-42"  # the new claimer can check the job first
    custom = store.claim_pending(
        "zendesk", "w3", stale_after=timedelta(seconds=30), now=NOW + timedelta(minutes=12)
    )
    assert len(custom) == 2


def test_failed_actions_are_retried_then_given_up_at_max_attempts(store: Store) -> None:
    record(store, 1)
    later = NOW
    for attempt in range(1, 3):
        (rec,) = store.claim_pending("zendesk", f"w{attempt}", now=later)
        store.mark_job([rec.id], "job-1")
        store.mark_failed([rec.id], "ServerError: 503", max_attempts=3, now=later)
        (back,) = store.recent_actions()
        assert (back.state, back.attempts, back.last_error) == (
            ActionState.PENDING,
            attempt,
            "ServerError: 503",
        )
        assert back.job_id is None and back.claim_token is None
        assert back.retry_at is not None
        later = back.retry_at

    (rec,) = store.claim_pending("zendesk", "w3", now=later)
    store.mark_failed([rec.id], "ServerError: 503", max_attempts=3, now=later)
    (gone,) = store.recent_actions()
    assert (gone.state, gone.attempts, gone.retry_at) == (ActionState.FAILED, 3, None)
    assert store.claim_pending("zendesk", "w4", now=later + timedelta(days=1)) == []


def test_a_failed_write_waits_longer_after_each_failure_before_it_is_claimed_again(
    store: Store,
) -> None:
    record(store, 1)
    moment, waits = NOW, []
    for attempt in range(5):
        (rec,) = store.claim_pending("zendesk", f"w{attempt}", now=moment)
        store.mark_failed([rec.id], "ServerError: 500", max_attempts=10, now=moment)
        (back,) = store.recent_actions()
        assert back.retry_at is not None
        waits.append(back.retry_at - moment)
        assert (
            store.claim_pending("zendesk", "early", now=back.retry_at - timedelta(seconds=1)) == []
        )
        moment = back.retry_at
    minutes = [wait / timedelta(minutes=1) for wait in waits]
    assert minutes == [1, 5, 15, 60, 60]


def test_released_actions_are_pending_with_the_error_and_keep_their_job(store: Store) -> None:
    record(store, 3)
    tried, held, taken_over = store.claim_pending("zendesk", "run-1", now=NOW)
    store.mark_job([tried.id], "unconfirmed")
    store.mark_job([held.id], "job-7")
    store.claim_pending("zendesk", "run-2", now=NOW + timedelta(minutes=11))  # all stale now
    store.release_actions([taken_over.id], "too late", token="run-1", attempted=False, now=NOW)
    # run-2 gives back what it was writing (it raised) and what it held:
    store.release_actions([tried.id], "ServerError: 500", token="run-2", attempted=True, now=NOW)
    store.release_actions([held.id], "ServerError: 500", token="run-2", attempted=False, now=NOW)

    by_id = {r.id: r for r in store.recent_actions()}
    assert (by_id[tried.id].state, by_id[tried.id].attempts) == (ActionState.PENDING, 1)
    assert by_id[tried.id].retry_at == NOW + timedelta(minutes=1)
    assert by_id[tried.id].job_id == "unconfirmed"  # the retry looks for its note first
    assert (by_id[held.id].state, by_id[held.id].attempts) == (ActionState.PENDING, 0)
    assert by_id[held.id].retry_at == NOW and by_id[held.id].job_id == "job-7"
    assert {by_id[i].last_error for i in (tried.id, held.id)} == {"ServerError: 500"}
    assert by_id[taken_over.id].state == ActionState.APPLYING  # not run-1's any more
    assert by_id[taken_over.id].claim_token == "run-2"


def test_released_actions_are_never_given_up_on(store: Store) -> None:
    record(store, 1)
    moment = NOW
    for _ in range(8):
        (rec,) = store.claim_pending("zendesk", "run", now=moment)
        store.release_actions([rec.id], "ServerError: 500", token="run", attempted=True, now=moment)
        (back,) = store.recent_actions()
        assert back.state == ActionState.PENDING and back.retry_at is not None
        moment = back.retry_at
    assert back.attempts == 8


def test_applied_actions_stay_applied(store: Store) -> None:
    record(store, 2)
    claimed = store.claim_pending("zendesk", "w1")
    ids = [r.id for r in claimed]
    store.mark_applied(ids, NOW)
    store.mark_failed(ids, "late failure report")
    store.mark_applied(ids, NOW + timedelta(hours=1))

    recent = store.recent_actions()
    assert {r.state for r in recent} == {ActionState.APPLIED}
    assert {r.applied_at for r in recent} == {NOW}
    assert {r.attempts for r in recent} == {0}
    assert store.claim_pending("zendesk", "w2", now=NOW + timedelta(days=1)) == []


def test_counts_by_rule_and_state(store: Store) -> None:
    store.record_actions(
        [
            (action("1"), None),
            (action("2"), None),
            (action("1", rule="resolve.passed_around"), None),
            (action("9", helpdesk="freshdesk"), None),
        ],
        NOW,
    )
    (first, *_) = store.claim_pending("zendesk", "w1", limit=1)
    store.mark_applied([first.id], NOW)

    assert store.actions_by_rule("zendesk") == {
        "assist.repeat_contact": {"applied": 1, "pending": 1},
        "resolve.passed_around": {"pending": 1},
    }
    assert store.actions_by_rule()["assist.repeat_contact"] == {"applied": 1, "pending": 2}


def test_recent_actions_are_newest_first(store: Store) -> None:
    for i in range(3):
        store.record_actions([(action(str(i)), None)], NOW + timedelta(minutes=i))
    recent = store.recent_actions(limit=2)
    assert [r.ticket_id for r in recent] == ["2", "1"]
    assert all(isinstance(r, ActionRecord) for r in recent)
    assert recent[0].created_at.tzinfo is UTC


def test_a_large_batch_is_recorded_in_a_few_statements(store: Store, statements: list[str]) -> None:
    items = [(action(str(i)), f"note {i}") for i in range(1200)]
    assert store.record_actions(items, NOW) == 1200
    assert len(statements) <= 4  # BEGIN and one executemany per 500 rows
    assert store.record_actions(items, NOW) == 0
    assert len(store.claim_pending("zendesk", "w1")) == 1200


def test_job_ids_of_a_whole_submission_are_recorded_together(store: Store) -> None:
    record(store, 3)
    claimed = store.claim_pending("zendesk", "w1")
    store.mark_jobs(
        {"job-a": {"0": [claimed[0].id], "1": [claimed[1].id]}, "job-b": {"2": [claimed[2].id]}}
    )
    (row_a0, row_a1, row_b) = sorted(store.recent_actions(), key=lambda r: r.id)
    assert (row_a0.job_id, row_a1.job_id, row_b.job_id) == ("job-a", "job-a", "job-b")


def test_known_keys_are_what_a_dry_run_must_not_count_again(store: Store) -> None:
    made = record(store, 2)
    assert store.known_keys("zendesk", ["0", "1", "7"]) == {a.key for a in made}
    assert store.known_keys("freshdesk", ["0"]) == set()
