"""The send-time decision: every branch, its boundaries, and the order of the checks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from care.domain.model import Requester, Status, Ticket
from care.domain.policy import Policy, Survey
from care.domain.surveys import (
    REOPENED,
    SEND,
    Decision,
    Outcome,
    SkipReason,
    SurveyCandidate,
    decide,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
SOLVED_AT = NOW - timedelta(hours=25)
POLICY = Policy()


def candidate(**changes: Any) -> SurveyCandidate:
    base = SurveyCandidate(
        helpdesk="zendesk",
        ticket_id="42",
        requester_email="jane@example.com",
        requester_name="Jane Doe",
        subject="Printer on fire",
        solved_at=SOLVED_AT,
        due_at=SOLVED_AT + timedelta(hours=24),
    )
    return replace(base, **changes)


def ticket(**changes: Any) -> Ticket:
    base = Ticket(
        helpdesk="zendesk",
        id="42",
        subject="Printer on fire",
        description="It is on fire.",
        status=Status.SOLVED,
        priority=None,
        tags=frozenset(),
        requester=Requester(id="7", name="Jane Doe", email="jane@example.com"),
        created_at=SOLVED_AT - timedelta(days=2),
        updated_at=SOLVED_AT,
        solved_at=SOLVED_AT,
    )
    return replace(base, **changes)


SOLVED_TICKET = ticket()


def run(
    survey: SurveyCandidate | None = None,
    fresh: Ticket | None = SOLVED_TICKET,
    policy: Policy = POLICY,
    now: datetime = NOW,
    last_sent: datetime | None = None,
    opted_out: bool = False,
) -> Decision:
    return decide(survey or candidate(), fresh, policy, now, last_sent, opted_out)


def skipped(reason: SkipReason) -> Decision:
    return Decision(Outcome.SKIP, reason=reason)


# --- each branch ------------------------------------------------------------------


def test_due_survey_on_solved_ticket_is_sent() -> None:
    assert run() == SEND


def test_closed_ticket_counts_as_solved() -> None:
    assert run(fresh=ticket(status=Status.CLOSED)) == SEND


def test_deleted_ticket_is_skipped() -> None:
    assert run(fresh=None) == skipped(SkipReason.TICKET_DELETED)


@pytest.mark.parametrize("status", [Status.OPEN, Status.PENDING, Status.HOLD, Status.NEW])
def test_ticket_no_longer_solved_is_reopened(status: Status) -> None:
    assert run(fresh=ticket(status=status)) == REOPENED


def test_survey_not_due_yet_waits_for_its_due_time() -> None:
    due = NOW + timedelta(minutes=1)
    assert run(survey=candidate(due_at=due)) == Decision(Outcome.NOT_YET, due_at=due)


def test_survey_due_exactly_now_is_sent() -> None:
    assert run(survey=candidate(due_at=NOW)) == SEND


def test_ticket_solved_again_later_moves_the_due_time() -> None:
    solved_again = NOW - timedelta(hours=2)
    decision = run(fresh=ticket(solved_at=solved_again))
    assert decision == Decision(Outcome.NOT_YET, due_at=solved_again + timedelta(hours=24))


def test_ticket_solved_again_long_ago_is_sent_now() -> None:
    assert run(fresh=ticket(solved_at=SOLVED_AT + timedelta(minutes=30))) == SEND


def test_fresh_ticket_without_solved_time_keeps_the_scheduled_due_time() -> None:
    assert run(fresh=ticket(solved_at=None)) == SEND


@pytest.mark.parametrize("email", [None, "", "   ", "not-an-address", "@example.com", "jane@"])
def test_requester_without_usable_email_is_skipped(email: str | None) -> None:
    assert run(survey=candidate(requester_email=email)) == skipped(SkipReason.NO_EMAIL)


def test_opted_out_requester_is_skipped() -> None:
    assert run(opted_out=True) == skipped(SkipReason.OPTED_OUT)


def test_ticket_tagged_no_survey_is_skipped() -> None:
    fresh = ticket(tags=frozenset({"vip", "care_no_survey"}))
    assert run(fresh=fresh) == skipped(SkipReason.NO_SURVEY_TAG)


def test_no_survey_tag_follows_the_configured_prefix() -> None:
    policy = Policy.model_validate({"tags": {"prefix": "x_"}})
    assert run(fresh=ticket(tags=frozenset({"care_no_survey"})), policy=policy) == SEND
    assert run(fresh=ticket(tags=frozenset({"x_no_survey"})), policy=policy) == skipped(
        SkipReason.NO_SURVEY_TAG
    )


def test_requester_surveyed_within_cooldown_is_skipped() -> None:
    last = NOW - timedelta(days=7) + timedelta(seconds=1)
    assert run(last_sent=last) == skipped(SkipReason.COOLDOWN)


def test_requester_surveyed_exactly_cooldown_ago_is_sent() -> None:
    assert run(last_sent=NOW - timedelta(days=7)) == SEND


def test_cooldown_follows_the_policy() -> None:
    policy = Policy(survey=Survey(cooldown_days=1))
    assert run(last_sent=NOW - timedelta(days=2), policy=policy) == SEND
    assert run(last_sent=NOW - timedelta(hours=23), policy=policy) == skipped(SkipReason.COOLDOWN)


def test_due_time_follows_the_configured_delay() -> None:
    policy = Policy(survey=Survey(delay_hours=48))
    solved_again = SOLVED_AT + timedelta(minutes=1)  # newer solve: due = solve + 48 h
    decision = run(fresh=ticket(solved_at=solved_again), policy=policy)
    assert decision == Decision(Outcome.NOT_YET, due_at=solved_again + timedelta(hours=48))


# --- the order of the checks ------------------------------------------------------


def test_checks_run_in_the_documented_order() -> None:
    """With every condition true, removing the winning one reveals the next."""
    conditions: dict[str, Any] = {
        "survey": candidate(requester_email=None, due_at=NOW + timedelta(hours=1)),
        "fresh": None,
        "last_sent": NOW - timedelta(days=1),
        "opted_out": True,
    }
    reopened_tagged = ticket(status=Status.OPEN, tags=frozenset({"care_no_survey"}))
    steps: list[tuple[dict[str, Any], str]] = [
        ({}, "skip:ticket_deleted"),
        ({"fresh": reopened_tagged}, "reopened"),
        ({"fresh": replace(reopened_tagged, status=Status.SOLVED)}, "not_yet"),
        (
            {
                "survey": candidate(requester_email=None, due_at=NOW - timedelta(days=3)),
                "fresh": replace(
                    reopened_tagged, status=Status.SOLVED, solved_at=NOW - timedelta(days=4)
                ),
            },
            "skip:too_late",
        ),
        (
            {
                "survey": candidate(requester_email=None),
                "fresh": replace(reopened_tagged, status=Status.SOLVED),
            },
            "skip:no_email",
        ),
        ({"survey": candidate()}, "skip:opted_out"),
        ({"opted_out": False}, "skip:no_survey_tag"),
        ({"fresh": ticket()}, "skip:cooldown"),
        ({"last_sent": None}, "send"),
    ]
    seen = []
    for change, _ in steps:
        conditions.update(change)
        seen.append(str(run(**conditions)))
    assert seen == [label for _, label in steps]


def test_decision_labels_are_stable_strings_for_reports() -> None:
    assert str(SEND) == "send"
    assert str(REOPENED) == "reopened"
    assert str(skipped(SkipReason.COOLDOWN)) == "skip:cooldown"
    assert [r.value for r in SkipReason] == [
        "ticket_deleted",
        "too_late",
        "no_email",
        "opted_out",
        "no_survey_tag",
        "cooldown",
    ]


# --- building a candidate ---------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first"),
    [("Jane Doe", "Jane"), ("  Jane ", "Jane"), ("", ""), ("jane@example.com", "")],
)
def test_first_name_is_the_first_word_unless_it_is_an_address(name: str, first: str) -> None:
    assert candidate(requester_name=name).first_name == first


def test_a_survey_up_to_max_late_hours_past_due_is_sent_and_later_is_skipped() -> None:
    def late_by(delay: timedelta) -> Decision:
        due = NOW - delay
        solved = due - timedelta(hours=24)
        fresh = replace(SOLVED_TICKET, solved_at=solved)
        return run(survey=candidate(solved_at=solved, due_at=due), fresh=fresh)

    assert late_by(timedelta(hours=48)).outcome is Outcome.SEND
    assert str(late_by(timedelta(hours=48, minutes=1))) == "skip:too_late"
