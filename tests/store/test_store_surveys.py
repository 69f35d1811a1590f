from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from care.store import Store, SurveyRecord, SurveyRequest, SurveyState

SOLVED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DUE = SOLVED + timedelta(hours=24)


def request(ticket_id: str = "1", solved_at: datetime = SOLVED, **kw: str) -> SurveyRequest:
    fields = {
        "helpdesk": "zendesk",
        "ticket_id": ticket_id,
        "requester_id": "r1",
        "requester_email": "Ada@Example.com",
        "requester_name": "Ada Lovelace",
        "subject": "Cannot log in",
    }
    fields.update(kw)
    return SurveyRequest(**fields, solved_at=solved_at, due_at=solved_at + timedelta(hours=24))


def claim_one(store: Store, now: datetime = DUE, token: str = "d1") -> SurveyRecord:
    (survey,) = store.claim_due_surveys(now, token)
    return survey


def test_a_survey_is_scheduled_once_per_ticket(store: Store) -> None:
    assert store.schedule_survey(request(), SOLVED) is True
    assert store.schedule_survey(request(), SOLVED) is False
    assert store.schedule_survey(request(solved_at=SOLVED + timedelta(hours=1)), SOLVED) is False
    assert store.survey_counts()["scheduled"] == 1


def test_surveys_are_claimed_only_when_due(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    assert store.claim_due_surveys(DUE - timedelta(seconds=1), "d1") == []
    survey = claim_one(store)
    assert (survey.state, survey.claim_token, survey.claimed_at) == (
        SurveyState.CLAIMED,
        "d1",
        DUE,
    )
    assert (survey.requester_email, survey.requester_name, survey.subject) == (
        "Ada@Example.com",
        "Ada Lovelace",
        "Cannot log in",
    )
    assert survey.due_at == DUE and survey.due_at.tzinfo is UTC
    assert survey.ticket_key == "zendesk:1"
    assert store.claim_due_surveys(DUE + timedelta(minutes=14), "d2") == []


def test_a_stale_claim_can_be_claimed_again(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    first = claim_one(store, DUE, "dead-dispatcher")
    again = claim_one(store, DUE + timedelta(minutes=16), "d2")
    assert again.id == first.id
    assert again.claim_token == "d2"


def test_claims_come_earliest_due_first_up_to_the_limit(store: Store) -> None:
    store.schedule_surveys(
        [request(str(i), solved_at=SOLVED - timedelta(hours=i)) for i in range(5)], SOLVED
    )
    claimed = store.claim_due_surveys(DUE, "d1", limit=3)
    assert [s.ticket_id for s in claimed] == ["4", "3", "2"]


def test_a_reopened_survey_is_rescheduled_when_solved_again(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    store.mark_survey_reopened(claim_one(store).id, DUE)
    assert store.survey_counts()["reopened"] == 1
    assert store.claim_due_surveys(DUE + timedelta(days=9), "d1") == []

    assert store.schedule_survey(request(), DUE) is False  # same solve: still waiting
    solved_again = DUE + timedelta(hours=3)
    assert store.schedule_survey(request(solved_at=solved_again), solved_again) is True

    assert store.claim_due_surveys(solved_again + timedelta(hours=23), "d1") == []
    survey = claim_one(store, solved_again + timedelta(hours=24))
    assert (survey.state, survey.solved_at, survey.due_at) == (
        SurveyState.CLAIMED,
        solved_again,
        solved_again + timedelta(hours=24),
    )


def test_a_sent_survey_is_never_scheduled_again(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    survey = claim_one(store)
    store.mark_survey_sent(survey.id, DUE, "<abc@care>")
    store.mark_survey_reopened(survey.id, DUE + timedelta(hours=1))
    later = DUE + timedelta(days=3)
    assert store.schedule_survey(request(solved_at=later), later) is False
    store.mark_survey_failed(survey.id, "late error", later, retry_at=later)
    store.mark_survey_sent(survey.id, later, "<second@care>")

    assert store.claim_due_surveys(later + timedelta(days=2), "d2") == []
    counts = store.survey_counts()
    assert counts["sent"] == 1
    assert sum(counts.values()) == 1
    assert store.last_survey_sent_to("ada@example.com", SOLVED) == DUE


def test_skipped_surveys_stay_skipped(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    store.mark_survey_skipped(claim_one(store).id, "requester opted out", DUE)
    later = DUE + timedelta(days=1)
    assert store.schedule_survey(request(solved_at=later), later) is False
    assert store.survey_counts()["skipped"] == 1


def test_a_failed_send_is_retried_at_the_given_time_then_given_up(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    retry_at = DUE + timedelta(minutes=30)
    store.mark_survey_failed(claim_one(store).id, "SMTP 451", DUE, retry_at=retry_at)
    assert store.claim_due_surveys(retry_at - timedelta(seconds=1), "d1") == []

    survey = claim_one(store, retry_at)
    assert (survey.attempts, survey.last_error, survey.due_at) == (1, "SMTP 451", retry_at)
    store.mark_survey_failed(survey.id, "SMTP 550 no such user", retry_at, retry_at=None)
    assert store.claim_due_surveys(retry_at + timedelta(days=1), "d1") == []
    assert store.survey_counts()["failed"] == 1


def test_concurrent_claimers_get_disjoint_surveys(store: Store) -> None:
    assert store.schedule_surveys([request(str(i)) for i in range(120)], SOLVED) == 120
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def dispatcher(token: str) -> None:
        barrier.wait()
        while batch := store.claim_due_surveys(DUE, token, limit=5):
            claimed[token].extend(s.id for s in batch)

    threads = [threading.Thread(target=dispatcher, args=(t,)) for t in claimed]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    a, b = set(claimed["a"]), set(claimed["b"])
    assert not a & b
    assert len(a | b) == len(claimed["a"]) + len(claimed["b"]) == 120


def test_cooldown_finds_the_last_send_to_an_address_in_any_case(store: Store) -> None:
    store.schedule_surveys([request("1"), request("2", requester_email="ada@example.COM")], SOLVED)
    first, second = store.claim_due_surveys(DUE, "d1")
    store.mark_survey_sent(first.id, DUE, "<1@care>")
    store.mark_survey_sent(second.id, DUE + timedelta(days=2), "<2@care>")

    assert store.last_survey_sent_to("ADA@example.com", DUE) == DUE + timedelta(days=2)
    assert store.last_survey_sent_to("ada@example.com", DUE + timedelta(days=3)) is None
    assert store.last_survey_sent_to("grace@example.com", SOLVED) is None
    sent_at = store.last_survey_sent_to("ada@example.com", SOLVED)
    assert sent_at is not None and sent_at.tzinfo is UTC


def test_bulk_scheduling_counts_inserts_and_reschedules(store: Store) -> None:
    store.schedule_surveys([request("1"), request("2")], SOLVED)
    store.mark_survey_reopened(store.claim_due_surveys(DUE, "d1", limit=1)[0].id, DUE)
    later = DUE + timedelta(hours=1)
    batch = [
        request("1", solved_at=later),  # reopened, solved again: rescheduled
        request("2", solved_at=later),  # still scheduled: untouched
        request("3", solved_at=later),  # new
        replace(request("3"), solved_at=SOLVED),  # an older duplicate in the batch
    ]
    assert store.schedule_surveys(batch, later) == 2
    assert store.survey_counts() == {
        "scheduled": 3,
        "claimed": 0,
        "sent": 0,
        "skipped": 0,
        "failed": 0,
        "reopened": 0,
    }


def test_due_surveys_are_listed_without_being_claimed(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    assert [s.ticket_id for s in store.due_surveys(DUE)] == ["1"]
    assert store.due_surveys(DUE - timedelta(minutes=1)) == []
    assert claim_one(store).ticket_id == "1"  # still claimable: listing claimed nothing


def test_a_claimed_survey_that_is_not_due_yet_is_rescheduled(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    survey = claim_one(store)
    later = DUE + timedelta(hours=5)
    store.reschedule_survey(survey.id, later, DUE)
    assert store.claim_due_surveys(DUE + timedelta(hours=1), "d2") == []
    assert claim_one(store, later, "d3").due_at == later
