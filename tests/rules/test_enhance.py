"""Enhance: the survey is scheduled a day after the solve, never immediately."""

from __future__ import annotations

from datetime import timedelta

import pytest

from care.domain.model import Status
from care.domain.policy import Policy, Survey
from care.domain.rules.enhance import survey
from tests.rules.builders import DAY, HOUR, NOW, policy, ticket

SOLVED_AT = NOW - 2 * HOUR


@pytest.mark.parametrize("status", [Status.SOLVED, Status.CLOSED])
def test_solved_ticket_gets_a_survey_due_24_h_after_the_solve(status: Status) -> None:
    [action] = survey(ticket(status=status, solved_at=SOLVED_AT), policy(), NOW)
    assert action.rule == "enhance.survey"
    assert action.survey_due_at == SOLVED_AT + 24 * HOUR
    assert action.add_tags == frozenset() and action.note is None
    assert not action.changes_ticket
    assert action.reason == "solved 2025-03-05 10:00 UTC: survey due 2025-03-06 10:00 UTC"


def test_the_delay_comes_from_the_policy() -> None:
    p = Policy(survey=Survey(delay_hours=48))
    [action] = survey(ticket(status=Status.SOLVED, solved_at=SOLVED_AT), p, NOW)
    assert action.survey_due_at == SOLVED_AT + 2 * DAY


def test_no_survey_tag_means_no_survey() -> None:
    t = ticket(status=Status.SOLVED, solved_at=SOLVED_AT, tags={"care_no_survey"})
    assert survey(t, policy(), NOW) == []


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN, Status.PENDING, Status.HOLD])
def test_unsolved_ticket_gets_no_survey(status: Status) -> None:
    assert survey(ticket(status=status, solved_at=SOLVED_AT), policy(), NOW) == []


def test_solved_ticket_without_solved_time_waits() -> None:
    assert survey(ticket(status=Status.SOLVED, solved_at=None), policy(), NOW) == []


def test_solving_again_after_a_reopen_moves_the_due_time_under_the_same_key() -> None:
    first = survey(ticket(status=Status.SOLVED, solved_at=SOLVED_AT), policy(), NOW)[0]
    again_at = SOLVED_AT + timedelta(days=3)
    second = survey(ticket(status=Status.SOLVED, solved_at=again_at), policy(), NOW)[0]
    assert first.key == second.key  # at most one survey per ticket
    assert second.survey_due_at == again_at + 24 * HOUR
