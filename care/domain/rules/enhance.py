"""Enhance: ask "Did we solve it?" a day after a ticket is solved — never immediately.

- `enhance.survey`: a solved/closed ticket (unless tagged `no_survey`) gets a
  survey scheduled for its solved time + `survey.delay_hours` [24 h].

Only the schedule is decided here. Whether the e-mail finally goes out (still
solved, one per ticket, requester cooldown, opt-out, an e-mail address) is
checked at send time by the survey dispatcher.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from care.domain.actions import Action
from care.domain.model import Ticket
from care.domain.policy import Policy

SURVEY = "enhance.survey"
# Recorded by the survey endpoint when a requester's answer and comment reach the ticket
# (`tasks.writeback`), not decided by a rule here: an unsolved answer alerts.
SURVEY_ANSWER = "enhance.survey_answer"
SURVEY_COMMENT = "enhance.survey_comment"


def survey(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    if not t.status.is_solved or t.solved_at is None or p.tag("no_survey") in t.tags:
        return []
    solved = t.solved_at.astimezone(UTC)
    due = solved + timedelta(hours=p.survey.delay_hours)
    return [
        Action(
            rule=SURVEY,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=f"solved {solved:%Y-%m-%d %H:%M} UTC: survey due {due:%Y-%m-%d %H:%M} UTC",
            # Recorded once per ticket; a ticket reopened and solved again is rescheduled by
            # the survey outbox (one row per ticket), which sees every solve.
            survey_due_at=due,
        )
    ]
