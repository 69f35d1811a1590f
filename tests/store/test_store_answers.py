from __future__ import annotations

from datetime import UTC, datetime, timedelta

from care.store import Store

CLICKED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
LATER = CLICKED + timedelta(minutes=10)


def answer(store: Store, value: str = "solved", ticket_id: str = "7", when: datetime = CLICKED):
    return store.record_survey_answer("zendesk", ticket_id, "Ada@Example.com", value, when)


def test_the_first_answer_wins_and_a_second_click_changes_nothing(store: Store) -> None:
    first, new = answer(store, "solved")
    again, new_again = answer(store, "unsolved", when=LATER)
    assert new is True and new_again is False
    assert first.answer == again.answer == "solved"
    assert again.answered_at == CLICKED and again.answered_at.tzinfo is UTC
    assert again.requester_email == "Ada@Example.com"
    assert again.answer_pending and not again.comment_pending
    assert again.ticket_key == "zendesk:7"


def test_answers_to_different_tickets_are_kept_apart(store: Store) -> None:
    answer(store, "solved", ticket_id="1")
    answer(store, "unsolved", ticket_id="2")
    stored = store.survey_answer("zendesk", "2")
    assert stored is not None and stored.answer == "unsolved"
    assert store.survey_answer("freshdesk", "1") is None


def test_a_comment_is_stored_once(store: Store) -> None:
    answer(store)
    record, new = store.record_survey_comment("zendesk", "7", "The app still crashes.", LATER)
    again, new_again = store.record_survey_comment("zendesk", "7", "Second thoughts", LATER)
    assert new is True and new_again is False
    assert record is not None and again is not None
    assert again.comment == "The app still crashes." and again.commented_at == LATER
    assert again.comment_pending


def test_a_comment_needs_an_answer_first(store: Store) -> None:
    assert store.record_survey_comment("zendesk", "404", "hello", LATER) == (None, False)


def test_written_back_answers_and_comments_are_no_longer_pending(store: Store) -> None:
    answer(store)
    store.record_survey_comment("zendesk", "7", "thanks", CLICKED)
    store.survey_write_started("zendesk", "7")
    store.mark_survey_answer_written("zendesk", "7", LATER)
    assert [r.ticket_key for r in store.pending_survey_write_backs(LATER)] == ["zendesk:7"]
    store.mark_survey_comment_written("zendesk", "7", LATER)
    stored = store.survey_answer("zendesk", "7")
    assert stored is not None and not stored.answer_pending and not stored.comment_pending
    assert stored.write_attempts == 1
    assert store.pending_survey_write_backs(LATER) == []


def test_a_failed_write_back_stays_pending_with_its_error(store: Store) -> None:
    answer(store)
    store.survey_write_started("zendesk", "7")
    store.mark_survey_write_failed("zendesk", "7", "no answer from https://acme.zendesk.com")
    (pending,) = store.pending_survey_write_backs(LATER)
    assert pending.write_attempts == 1
    assert pending.last_error == "no answer from https://acme.zendesk.com"
    store.mark_survey_answer_written("zendesk", "7", LATER)
    stored = store.survey_answer("zendesk", "7")
    assert stored is not None and stored.last_error is None


def test_pending_write_backs_leave_fresh_answers_and_spent_attempts_alone(store: Store) -> None:
    answer(store, ticket_id="1")
    answer(store, ticket_id="2", when=LATER)
    for _ in range(3):
        store.survey_write_started("zendesk", "1")
    assert [r.ticket_id for r in store.pending_survey_write_backs(LATER)] == ["1"]
    assert store.pending_survey_write_backs(LATER, max_attempts=3) == []
    assert [r.ticket_id for r in store.pending_survey_write_backs(LATER, limit=1)] == ["1"]


def test_a_comment_left_after_the_answer_was_written_is_pending(store: Store) -> None:
    answer(store)
    store.mark_survey_answer_written("zendesk", "7", CLICKED)
    store.record_survey_comment("zendesk", "7", "one more thing", LATER)
    assert store.pending_survey_write_backs(LATER) == []  # commented just now: not yet
    (pending,) = store.pending_survey_write_backs(LATER + timedelta(seconds=1))
    assert pending.comment_pending and not pending.answer_pending


def test_an_opt_out_is_stored_once_in_lower_case(store: Store) -> None:
    assert store.record_opt_out(" Ada@Example.COM ", CLICKED, "zendesk", "7") is True
    assert store.record_opt_out("ada@example.com", LATER) is False
    assert store.opted_out("ADA@example.com") is True
    assert store.opted_out("grace@example.com") is False
    assert store.opted_out(None) is False and store.opted_out("") is False
