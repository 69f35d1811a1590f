"""Survey dispatch over a batch of due surveys: re-read, decide, send, record.

Never a Prefect retry around sending (a retried task would send twice): each
survey's outcome is recorded right after its send, and a transport failure
reschedules that one survey.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from care.config import Settings
from care.model import Ticket
from care.store import Store, SurveyRecord
from care.surveys import (
    Outcome,
    SurveyCandidate,
    Transport,
    TransportError,
    build_survey_email,
    decide,
)
from connectors.base import Helpdesk

RETRY_BACKOFF = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_SEND_ATTEMPTS = 5


@dataclass
class DispatchContext:
    settings: Settings
    store: Store
    transport: Transport
    helpdesk: Callable[[str], Helpdesk]  # opened lazily, one per helpdesk name
    clock: Callable[[], datetime]


@dataclass
class DispatchResult:
    outcomes: Counter[str] = field(default_factory=Counter)  # "sent", "skip:cooldown", …
    sent_to: list[str] = field(default_factory=list)

    def add(self, other: DispatchResult) -> None:
        self.outcomes.update(other.outcomes)
        self.sent_to.extend(other.sent_to)


@task(name="send-surveys", cache_policy=NO_CACHE)
def send_batch(
    ctx: DispatchContext, batch: Sequence[SurveyRecord], dry_run: bool
) -> DispatchResult:
    log = get_run_logger()
    result = DispatchResult()
    fresh = _fresh_tickets(ctx, batch)  # re-read just before sending, a request per 100
    for record in batch:
        label = _dispatch_one(ctx, record, fresh[(record.helpdesk, record.ticket_id)], dry_run)
        result.outcomes[label] += 1
        if label == "sent":
            result.sent_to.append(f"{record.helpdesk}:{record.ticket_id}")
        log.info("survey %s:%s → %s", record.helpdesk, record.ticket_id, label)
    return result


def _fresh_tickets(
    ctx: DispatchContext, batch: Sequence[SurveyRecord]
) -> dict[tuple[str, str], Ticket | None]:
    by_helpdesk: dict[str, list[str]] = {}
    for record in batch:
        by_helpdesk.setdefault(record.helpdesk, []).append(record.ticket_id)
    return {
        (name, ticket_id): ticket
        for name, ids in by_helpdesk.items()
        for ticket_id, ticket in ctx.helpdesk(name).tickets(ids).items()
    }


def _dispatch_one(
    ctx: DispatchContext, record: SurveyRecord, fresh: Ticket | None, dry_run: bool
) -> str:
    now = ctx.clock()
    policy = ctx.settings.policy
    candidate = _candidate(record)
    last_sent = None
    if record.requester_email:
        since = now - timedelta(days=policy.survey.cooldown_days)
        last_sent = ctx.store.last_survey_sent_to(record.requester_email, since)
    decision = decide(candidate, fresh, policy, now, last_sent, opted_out=False)
    if dry_run:
        return "would send" if decision.outcome is Outcome.SEND else str(decision)
    if decision.outcome is Outcome.SKIP:
        ctx.store.mark_survey_skipped(record.id, str(decision.reason), now)
    elif decision.outcome is Outcome.REOPENED:
        ctx.store.mark_survey_reopened(record.id, now)
    elif decision.outcome is Outcome.NOT_YET:
        assert decision.due_at is not None
        ctx.store.reschedule_survey(record.id, decision.due_at, now)
    else:
        return _send(ctx, record, candidate, now)
    return str(decision)


def _send(
    ctx: DispatchContext, record: SurveyRecord, candidate: SurveyCandidate, now: datetime
) -> str:
    settings = ctx.settings
    try:
        message = build_survey_email(
            candidate, settings.policy, settings.survey_base_url, settings.survey_secret or "", now
        )
        ctx.transport.send(message)
    except TransportError as exc:
        retry = record.attempts + 1 < MAX_SEND_ATTEMPTS and exc.retryable
        backoff = RETRY_BACKOFF[min(record.attempts, len(RETRY_BACKOFF) - 1)]
        ctx.store.mark_survey_failed(record.id, str(exc), now, now + backoff if retry else None)
        return "retry later" if retry else "failed"
    except ValueError as exc:  # an address or setting the message cannot be built with
        ctx.store.mark_survey_failed(record.id, str(exc), now, None)
        return "failed"
    ctx.store.mark_survey_sent(record.id, now, str(message["Message-ID"]))
    return "sent"


def _candidate(record: SurveyRecord) -> SurveyCandidate:
    return SurveyCandidate(
        helpdesk=record.helpdesk,
        ticket_id=record.ticket_id,
        requester_email=record.requester_email,
        requester_name=record.requester_name or "",
        subject=record.subject or "",
        solved_at=record.solved_at,
        due_at=record.due_at,
    )
