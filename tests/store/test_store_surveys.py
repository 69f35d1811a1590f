from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

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
    assert store.mark_survey_reopened(claim_one(store).id, DUE, token="d1")
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
    assert store.mark_survey_sent(survey.id, DUE, "<abc@care>", token="d1")
    assert not store.mark_survey_reopened(survey.id, DUE + timedelta(hours=1), token="d1")
    later = DUE + timedelta(days=3)
    assert store.schedule_survey(request(solved_at=later), later) is False
    assert not store.mark_survey_failed(survey.id, "late error", later, later, token="d1")
    assert not store.mark_survey_sent(survey.id, later, "<second@care>", token="d1")

    assert store.claim_due_surveys(later + timedelta(days=2), "d2") == []
    counts = store.survey_counts()
    assert counts["sent"] == 1
    assert sum(counts.values()) == 1
    assert store.last_survey_sent_to("ada@example.com", SOLVED) == DUE


def test_skipped_surveys_stay_skipped(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    assert store.mark_survey_skipped(claim_one(store).id, "requester opted out", DUE, token="d1")
    later = DUE + timedelta(days=1)
    assert store.schedule_survey(request(solved_at=later), later) is False
    assert store.survey_counts()["skipped"] == 1


def test_a_failed_send_is_retried_at_the_given_time_then_given_up(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    retry_at = DUE + timedelta(minutes=30)
    store.mark_survey_failed(claim_one(store).id, "SMTP 451", DUE, retry_at, token="d1")
    assert store.claim_due_surveys(retry_at - timedelta(seconds=1), "d1") == []

    survey = claim_one(store, retry_at)
    assert (survey.attempts, survey.last_error, survey.due_at) == (1, "SMTP 451", retry_at)
    store.mark_survey_failed(survey.id, "SMTP 550 no such user", retry_at, None, token="d1")
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
    store.mark_survey_sent(first.id, DUE, "<1@care>", token="d1")
    store.mark_survey_sent(second.id, DUE + timedelta(days=2), "<2@care>", token="d1")

    assert store.last_survey_sent_to("ADA@example.com", DUE) == DUE + timedelta(days=2)
    assert store.last_survey_sent_to("ada@example.com", DUE + timedelta(days=3)) is None
    assert store.last_survey_sent_to("grace@example.com", SOLVED) is None
    sent_at = store.last_survey_sent_to("ada@example.com", SOLVED)
    assert sent_at is not None and sent_at.tzinfo is UTC


def test_bulk_scheduling_counts_inserts_and_reschedules(store: Store) -> None:
    store.schedule_surveys([request("1"), request("2")], SOLVED)
    store.mark_survey_reopened(store.claim_due_surveys(DUE, "d1", limit=1)[0].id, DUE, token="d1")
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
    store.reschedule_survey(survey.id, later, DUE, token="d1")
    assert store.claim_due_surveys(DUE + timedelta(hours=1), "d2") == []
    assert claim_one(store, later, "d3").due_at == later


# --- a send under way, interrupted sends, and claims taken over ---------------------------

STARTED = DUE + timedelta(minutes=1)
TAKEN_OVER = STARTED + timedelta(minutes=16)  # past the 15-minute stale timeout


def row(store: Store, ticket_id: str = "1") -> SurveyRecord:
    found = store.survey("zendesk", ticket_id)
    assert found is not None
    return found


def interrupted(store: Store) -> SurveyRecord:
    """A survey whose send d1 started and never recorded, now claimed by d2."""
    store.schedule_survey(request(), SOLVED)
    assert store.start_survey_send(claim_one(store).id, STARTED, "<1@care>", token="d1")
    return claim_one(store, TAKEN_OVER, "d2")


def test_a_started_send_is_on_record_until_it_is_recorded_sent(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    survey = claim_one(store)
    assert store.start_survey_send(survey.id, STARTED, "<1@care>", token="d1") is True
    started = row(store)
    assert (started.state, started.send_started_at, started.message_id) == (
        SurveyState.CLAIMED,
        STARTED,
        "<1@care>",
    )
    assert store.mark_survey_sent(survey.id, STARTED, "<1@care>", token="d1") is True
    sent = row(store)
    assert (sent.state, sent.sent_at, sent.send_started_at) == (SurveyState.SENT, STARTED, None)


def test_starting_a_send_renews_the_claim(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    store.start_survey_send(
        claim_one(store).id, DUE + timedelta(minutes=10), "<1@care>", token="d1"
    )
    assert store.claim_due_surveys(DUE + timedelta(minutes=16), "d2") == []  # not stale yet
    again = claim_one(store, DUE + timedelta(minutes=26), "d2")
    assert (again.claim_token, again.send_started_at, again.message_id) == (
        "d2",
        DUE + timedelta(minutes=10),
        "<1@care>",
    )


def test_a_stale_claim_taken_over_keeps_the_start_of_the_interrupted_send(store: Store) -> None:
    survey = interrupted(store)
    assert (survey.state, survey.claim_token) == (SurveyState.CLAIMED, "d2")
    assert (survey.send_started_at, survey.message_id) == (STARTED, "<1@care>")


def test_an_interrupted_send_that_may_have_gone_out_fails_for_good(store: Store) -> None:
    survey = interrupted(store)
    reason = "interrupted while sending; not sent again because it may have been delivered"
    assert store.mark_survey_interrupted(survey.id, reason, TAKEN_OVER, token="d2") is True

    failed = row(store)
    assert (failed.state, failed.last_error, failed.attempts) == (SurveyState.FAILED, reason, 1)
    assert failed.send_started_at == STARTED  # when the send that may have gone out began
    assert store.claim_due_surveys(TAKEN_OVER + timedelta(days=1), "d3") == []
    assert store.schedule_survey(request(solved_at=TAKEN_OVER), TAKEN_OVER) is False


def test_an_interrupted_send_found_delivered_is_sent_as_of_its_start(store: Store) -> None:
    survey = interrupted(store)
    assert store.mark_survey_sent(survey.id, TAKEN_OVER, "<1@care>", token="d2", sent_at=STARTED)
    sent = row(store)
    assert (sent.state, sent.sent_at, sent.send_started_at) == (SurveyState.SENT, STARTED, None)
    assert store.last_survey_sent_to("ada@example.com", SOLVED) == STARTED  # for the cooldown


def test_a_send_found_not_delivered_leaves_no_start_behind_whatever_happens_next(
    store: Store,
) -> None:
    survey = interrupted(store)  # the transport says: never delivered; now the ticket is open
    assert store.mark_survey_reopened(survey.id, TAKEN_OVER, token="d2")
    solved_again = TAKEN_OVER + timedelta(hours=1)
    store.schedule_survey(request(solved_at=solved_again), solved_again)
    again = claim_one(store, solved_again + timedelta(hours=24), "d3")
    assert (again.send_started_at, again.attempts) == (None, 0)


def test_a_failed_send_to_retry_clears_its_start(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    survey = claim_one(store)
    store.start_survey_send(survey.id, STARTED, "<1@care>", token="d1")
    retry_at = STARTED + timedelta(minutes=5)
    assert store.mark_survey_failed(survey.id, "SMTP 451", STARTED, retry_at, token="d1")
    retried = claim_one(store, retry_at, "d2")
    assert (retried.send_started_at, retried.attempts, retried.last_error) == (None, 1, "SMTP 451")


def test_a_dispatcher_whose_claim_was_taken_over_cannot_start_sending(store: Store) -> None:
    store.schedule_survey(request(), SOLVED)
    survey = claim_one(store, DUE, "d1")
    claim_one(store, DUE + timedelta(minutes=16), "d2")
    assert store.start_survey_send(survey.id, TAKEN_OVER, "<1@care>", token="d1") is False
    assert row(store).send_started_at is None


@pytest.mark.parametrize(
    "late_outcome",
    [
        lambda s, id: s.mark_survey_sent(id, TAKEN_OVER, "<late@care>", token="d1"),
        lambda s, id: s.mark_survey_failed(id, "late", TAKEN_OVER, TAKEN_OVER, token="d1"),
        lambda s, id: s.mark_survey_failed(id, "late", TAKEN_OVER, None, token="d1"),
        lambda s, id: s.mark_survey_interrupted(id, "late", TAKEN_OVER, token="d1"),
        lambda s, id: s.mark_survey_skipped(id, "cooldown", TAKEN_OVER, token="d1"),
        lambda s, id: s.mark_survey_reopened(id, TAKEN_OVER, token="d1"),
        lambda s, id: s.reschedule_survey(id, TAKEN_OVER, TAKEN_OVER, token="d1"),
    ],
    ids=["sent", "retry", "failed", "interrupted", "skipped", "reopened", "rescheduled"],
)
def test_a_dispatcher_whose_claim_was_taken_over_cannot_overwrite_the_new_owners_outcome(
    store: Store, late_outcome: Callable[[Store, int], bool]
) -> None:
    survey = interrupted(store)  # d1 started sending, stalled; d2 took the claim over
    reason = "interrupted while sending; not sent again because it may have been delivered"
    store.mark_survey_interrupted(survey.id, reason, TAKEN_OVER, token="d2")
    assert late_outcome(store, survey.id) is False
    after = row(store)
    assert (after.state, after.last_error, after.attempts) == (SurveyState.FAILED, reason, 1)
    assert store.survey_counts()["failed"] == 1


def test_a_dispatcher_whose_claim_was_taken_over_cannot_settle_it_while_the_new_owner_works(
    store: Store,
) -> None:
    survey = interrupted(store)
    assert store.mark_survey_sent(survey.id, TAKEN_OVER, "<1@care>", token="d1") is False
    assert row(store).state == SurveyState.CLAIMED  # still the new owner's to settle
    assert store.mark_survey_sent(survey.id, TAKEN_OVER, "<1@care>", token="d2") is True
