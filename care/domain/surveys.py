"""Send a due survey now, later, or never? One pure decision per survey.

The dispatch flow re-reads the ticket at send time and asks `decide`. Checks run
in this order, and the first that applies wins:

1. `ticket_deleted`  the helpdesk no longer has the ticket (`fresh is None`).
2. REOPENED          the ticket is no longer solved/closed: nothing is sent now;
                     the survey is scheduled again when the ticket is solved again.
3. NOT_YET           the survey is not due: `due_at` is in the future, or the
                     ticket was solved again later than the survey assumed, which
                     moves the due time to `fresh.solved_at + delay`.
4. `too_late`        the survey is more than `max_late_hours` past its due time
                     (a first poll backfilling old solves, or a long outage):
                     a "did we solve it?" weeks later does more harm than good.
5. `no_email`        the requester has no usable e-mail address.
6. `opted_out`       the requester unsubscribed from surveys.
7. `no_survey_tag`   the ticket carries `policy.tag("no_survey")`.
8. `cooldown`        this requester got a survey less than `cooldown_days` ago.
9. SEND.

Why this order: nothing can be judged on a deleted ticket; a reopened ticket is
not finished, so its survey is judged again once it is; the skip reasons are
judged only when the survey is due, on the state of that moment (a tag may be
added and a cooldown may run out before then); among them, the lasting facts
about the requester come first so that a report counts the root cause, and the
cooldown (the only reason that depends on other surveys) comes last.

"At most one survey per ticket" is the dispatcher's job (one survey row per ticket
in the store); `decide` has no input for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from care.domain.model import Ticket
from care.domain.policy import Policy


@dataclass(frozen=True, slots=True)
class SurveyCandidate:
    """A scheduled survey, as the store keeps it. Datetimes are timezone-aware UTC."""

    helpdesk: str
    ticket_id: str
    requester_email: str | None
    requester_name: str
    subject: str
    solved_at: datetime
    due_at: datetime
    # The outbox row and its `link_nonce`: the e-mail's links carry both, so a candidate
    # without them (never scheduled by the store) cannot be mailed.
    survey_id: int | None = None
    link_nonce: str | None = None

    @property
    def key(self) -> str:
        return f"{self.helpdesk}:{self.ticket_id}"

    @property
    def first_name(self) -> str:
        """The first word of the name; empty when there is none or it is an e-mail address."""
        parts = self.requester_name.strip().split()
        if not parts or "@" in parts[0]:
            return ""
        return parts[0]


class Outcome(StrEnum):
    SEND = "send"
    SKIP = "skip"  # never sent; `Decision.reason` says why
    REOPENED = "reopened"  # not sent now; scheduled again when the ticket is solved again
    NOT_YET = "not_yet"  # not due; `Decision.due_at` is the (possibly new) due time


class SkipReason(StrEnum):
    """Short stable strings: reports count them, so never rename one."""

    TICKET_DELETED = "ticket_deleted"
    TOO_LATE = "too_late"
    NO_EMAIL = "no_email"
    OPTED_OUT = "opted_out"
    NO_SURVEY_TAG = "no_survey_tag"
    COOLDOWN = "cooldown"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reason: SkipReason | None = None  # set for SKIP only
    due_at: datetime | None = None  # set for NOT_YET only

    def __str__(self) -> str:
        """`send`, `reopened`, `not_yet` or `skip:<reason>`: one label per report line."""
        return f"skip:{self.reason}" if self.reason else str(self.outcome)


SEND = Decision(Outcome.SEND)
REOPENED = Decision(Outcome.REOPENED)


def skip(reason: SkipReason) -> Decision:
    return Decision(Outcome.SKIP, reason=reason)


def not_yet(due_at: datetime) -> Decision:
    return Decision(Outcome.NOT_YET, due_at=due_at)


def survey_delay(policy: Policy) -> timedelta:
    return timedelta(hours=policy.survey.delay_hours)


def decide(
    survey: SurveyCandidate,
    fresh: Ticket | None,
    policy: Policy,
    now: datetime,
    last_sent_to_requester: datetime | None,
    opted_out: bool,
) -> Decision:
    """What to do with `survey` at `now`, given the ticket as the helpdesk shows it now.

    `last_sent_to_requester` is when the last survey went to this requester's
    address (any ticket), `opted_out` whether the address unsubscribed; the
    caller looks both up by `survey.requester_email`.
    """
    if fresh is None:
        return skip(SkipReason.TICKET_DELETED)
    if not fresh.status.is_solved:
        return REOPENED

    due_at = survey.due_at
    if fresh.solved_at is not None:
        due_at = max(due_at, fresh.solved_at + survey_delay(policy))
    if due_at > now:
        return not_yet(due_at)
    if now - due_at > timedelta(hours=policy.survey.max_late_hours):
        return skip(SkipReason.TOO_LATE)

    if not _has_address(survey.requester_email):
        return skip(SkipReason.NO_EMAIL)
    if opted_out:
        return skip(SkipReason.OPTED_OUT)
    if policy.tag("no_survey") in fresh.tags:
        return skip(SkipReason.NO_SURVEY_TAG)
    cooldown = timedelta(days=policy.survey.cooldown_days)
    if last_sent_to_requester is not None and now - last_sent_to_requester < cooldown:
        return skip(SkipReason.COOLDOWN)
    return SEND


def _has_address(email: str | None) -> bool:
    if email is None:
        return False
    local, at, domain = email.strip().rpartition("@")
    return bool(at and local and domain)
