"""Survey dispatch: claim due surveys a batch at a time; re-read, decide, send, record.

Never a Prefect retry around sending (a retried task would send twice): each
survey's outcome is recorded right after its send, and a transport failure
reschedules that one survey. The start of each send is committed before the
transport is called, so a dispatcher killed mid-send leaves a trace: the one that
takes its claim over asks the transport whether that e-mail went out, and records
it sent, sends it, or records it failed as interrupted (never a second send that
may be a duplicate). The transitions are listed in care/store/surveys.py.

A mail server that cannot be used at all (login refused, nothing listening, TLS failing)
is not the surveys' fault: the one that met it goes back to due with the error, the rest
of its batch is given back untouched, and the run stops with `MailServerDown` (the flow
alerts once per outage). Nothing is marked failed for good, so all go out once it is fixed.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from care.domain.model import Ticket
from care.domain.surveys import Outcome, SurveyCandidate, decide
from care.outbound.survey_message import build_survey_email
from care.outbound.transport import Transport, TransportError
from care.settings.load import ConfigError, Settings
from care.store import Store, SurveyRecord
from care.store.surveys import STALE_CLAIM
from connectors.base import Helpdesk
from connectors.errors import HelpdeskError, Transient
from tasks.writeback import WriteBackResult

BATCH = 100  # surveys claimed at a time: re-read in one request, sent before the next claim
RETRY_BACKOFF = (timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_SEND_ATTEMPTS = 5

# Outcome labels beyond `sent`, `failed`, `retry later` and the decisions' own:
INTERRUPTED_DELIVERED = "interrupted: was delivered"  # recorded sent, not sent again
INTERRUPTED_UNKNOWN = "interrupted: may have been delivered"  # recorded failed, not sent again
CLAIM_LOST = "claim taken over"  # another dispatcher owns it now: nothing done here
SENT_CLAIM_LOST = "sent, claim taken over"  # sent, but its outcome is the new owner's to record
_NEEDS_A_LOOK = {INTERRUPTED_UNKNOWN, CLAIM_LOST, SENT_CLAIM_LOST}  # logged as warnings


class MailServerDown(ConfigError):
    """No survey can be sent until the SMTP settings named in the message (or the server)
    are fixed; the due surveys were given back, none failed. `first`: the surveys did not
    already carry this error, so no earlier run has reported this outage."""

    def __init__(self, message: str, first: bool = True) -> None:
        super().__init__(message)
        self.first = first

    def __reduce__(self) -> tuple[type[MailServerDown], tuple[str, bool]]:
        return (type(self), (str(self), self.first))  # pickled by Prefect


class ReReadFailed(HelpdeskError):
    """The helpdesk did not answer the re-read that comes before any send: the batch was
    given back, due as it was."""


@dataclass
class DispatchContext:
    settings: Settings
    store: Store
    transport: Transport
    helpdesk: Callable[[str], Helpdesk]  # opened lazily, one per helpdesk name
    clock: Callable[[], datetime]
    claim_token: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class DispatchResult:
    outcomes: Counter[str] = field(default_factory=Counter)  # "sent", "skip:cooldown", …
    sent_to: list[str] = field(default_factory=list)
    write_backs: WriteBackResult | None = None  # answers retried after the sends

    def add(self, other: DispatchResult) -> None:
        self.outcomes.update(other.outcomes)
        self.sent_to.extend(other.sent_to)

    @property
    def interrupted(self) -> int:
        """Sends a killed dispatcher left unrecorded, settled in this run."""
        return sum(n for label, n in self.outcomes.items() if label.startswith("interrupted"))


def claimed_batches(
    ctx: DispatchContext,
    limit: int,
    batch_size: int = BATCH,
    stale_after: timedelta = STALE_CLAIM,
) -> Iterator[list[SurveyRecord]]:
    """Claim due surveys (and stale claims) under `ctx.claim_token`, up to `limit`.

    A batch is claimed only when the caller asks for it, after handling the one
    before: no survey waits under a claim long enough to go stale.
    """
    claimed = 0
    while claimed < limit:
        size = min(batch_size, limit - claimed)
        batch = ctx.store.claim_due_surveys(ctx.clock(), ctx.claim_token, size, stale_after)
        if not batch:
            return
        claimed += len(batch)
        yield batch


@task(name="send-surveys", cache_policy=NO_CACHE)
def send_batch(
    ctx: DispatchContext, batch: Sequence[SurveyRecord], dry_run: bool
) -> DispatchResult:
    return send_surveys(ctx, batch, dry_run, get_run_logger())


def send_surveys(
    ctx: DispatchContext,
    batch: Sequence[SurveyRecord],
    dry_run: bool,
    log: logging.Logger | logging.LoggerAdapter[Any],
) -> DispatchResult:
    """`send_batch` outside Prefect: each survey of a claimed batch sent or settled."""
    result = DispatchResult()
    try:
        fresh = _fresh_tickets(ctx, batch)  # re-read just before sending, a request per 100
    except HelpdeskError:
        _release(ctx, batch)  # due again at once, not after a claim nobody holds goes stale
        raise
    for i, record in enumerate(batch):
        try:
            label = _dispatch_one(ctx, record, fresh[(record.helpdesk, record.ticket_id)], dry_run)
        except _ServerDown as down:
            raise _give_back(ctx, batch, i, down.error, log) from None
        result.outcomes[label] += 1
        if label in ("sent", SENT_CLAIM_LOST):
            result.sent_to.append(f"{record.helpdesk}:{record.ticket_id}")
        level = logging.WARNING if label in _NEEDS_A_LOOK else logging.INFO
        log.log(level, "survey %s:%s → %s", record.helpdesk, record.ticket_id, label)
    return result


def _fresh_tickets(
    ctx: DispatchContext, batch: Sequence[SurveyRecord]
) -> dict[tuple[str, str], Ticket | None]:
    by_helpdesk: dict[str, list[str]] = {}
    for record in batch:
        by_helpdesk.setdefault(record.helpdesk, []).append(record.ticket_id)
    fresh: dict[tuple[str, str], Ticket | None] = {}
    for name, ids in by_helpdesk.items():
        try:
            tickets = ctx.helpdesk(name).tickets(ids)
        except Transient as exc:  # a Final error (a credential, a URL) speaks for itself
            raise ReReadFailed(
                f"{name}: the tickets could not be read again before sending their surveys "
                f"({exc}); the surveys stay due for the next run"
            ) from exc
        fresh |= {(name, ticket_id): ticket for ticket_id, ticket in tickets.items()}
    return fresh


def _dispatch_one(
    ctx: DispatchContext, record: SurveyRecord, fresh: Ticket | None, dry_run: bool
) -> str:
    now = ctx.clock()
    if record.send_started_at is not None and not dry_run:
        settled = _settle_interrupted(ctx, record, now)
        if settled is not None:
            return settled
    policy = ctx.settings.policy
    candidate = _candidate(record)
    last_sent = None
    if record.requester_email:
        since = now - timedelta(days=policy.survey.cooldown_days)
        last_sent = ctx.store.last_survey_sent_to(record.requester_email, since)
    decision = decide(
        candidate,
        fresh,
        policy,
        now,
        last_sent,
        opted_out=ctx.store.opted_out(record.requester_email),
    )
    if dry_run:
        return "would send" if decision.outcome is Outcome.SEND else str(decision)
    store, token = ctx.store, ctx.claim_token
    if decision.outcome is Outcome.SKIP:
        recorded = store.mark_survey_skipped(record.id, str(decision.reason), now, token=token)
    elif decision.outcome is Outcome.REOPENED:
        recorded = store.mark_survey_reopened(record.id, now, token=token)
    elif decision.outcome is Outcome.NOT_YET:
        assert decision.due_at is not None
        recorded = store.reschedule_survey(record.id, decision.due_at, now, token=token)
    else:
        return _send(ctx, record, candidate, now)
    return str(decision) if recorded else CLAIM_LOST


def _settle_interrupted(ctx: DispatchContext, record: SurveyRecord, now: datetime) -> str | None:
    """A dispatcher stopped between starting this survey's send and recording it.

    The transport says delivered: recorded sent. It cannot tell: recorded failed,
    not sent again. Returns the outcome, or None when the earlier send is known not
    to have been delivered: the survey is then decided and sent as usual.
    """
    started_at = record.send_started_at
    message_id = record.message_id
    assert started_at is not None
    delivered = ctx.transport.delivered(message_id) if message_id else None
    if delivered is False:
        return None
    store, token = ctx.store, ctx.claim_token
    if delivered and message_id:
        recorded = store.mark_survey_sent(
            record.id, now, message_id, token=token, sent_at=started_at
        )
        return INTERRUPTED_DELIVERED if recorded else CLAIM_LOST
    error = (
        f"interrupted while sending at {started_at:%Y-%m-%d %H:%M:%S} UTC; not sent again "
        f"because it may have been delivered: {ctx.transport!r} cannot tell whether "
        f"{message_id or 'the message'} was"
    )
    recorded = store.mark_survey_interrupted(record.id, error, now, token=token)
    return INTERRUPTED_UNKNOWN if recorded else CLAIM_LOST


def _send(
    ctx: DispatchContext, record: SurveyRecord, candidate: SurveyCandidate, now: datetime
) -> str:
    settings, store, token = ctx.settings, ctx.store, ctx.claim_token
    try:
        secret = settings.survey_secret.get_secret_value() if settings.survey_secret else ""
        message = build_survey_email(
            candidate, settings.policy, settings.survey_base_url, secret, now
        )
    except ValueError as exc:  # an address or setting the message cannot be built with
        recorded = store.mark_survey_failed(record.id, str(exc), now, None, token=token)
        return "failed" if recorded else CLAIM_LOST
    message_id = str(message["Message-ID"])
    # Committed before the transport runs: whoever finds it later knows a send began.
    if not store.start_survey_send(record.id, now, message_id, token=token):
        return CLAIM_LOST
    try:
        ctx.transport.send(message)
    except TransportError as exc:
        if exc.check:  # not this survey's fault, and nothing was sent: it stays due
            raise _ServerDown(f"{exc.message}: check {exc.check}") from None
        retry = record.attempts + 1 < MAX_SEND_ATTEMPTS and exc.retryable
        backoff = RETRY_BACKOFF[min(record.attempts, len(RETRY_BACKOFF) - 1)]
        retry_at = now + backoff if retry else None
        recorded = store.mark_survey_failed(record.id, str(exc), now, retry_at, token=token)
        if not recorded:
            return CLAIM_LOST
        return "retry later" if retry else "failed"
    if not store.mark_survey_sent(record.id, now, message_id, token=token):
        return SENT_CLAIM_LOST
    return "sent"


class _ServerDown(Exception):
    def __init__(self, error: str) -> None:
        self.error = error


def _release(ctx: DispatchContext, records: Sequence[SurveyRecord]) -> None:
    """Claimed surveys not handled, back to due as they were."""
    now = ctx.clock()
    for record in records:
        ctx.store.reschedule_survey(record.id, record.due_at, now, token=ctx.claim_token)


def _give_back(
    ctx: DispatchContext,
    batch: Sequence[SurveyRecord],
    at: int,
    error: str,
    log: logging.Logger | logging.LoggerAdapter[Any],
) -> MailServerDown:
    """The survey at `at` back to due with `error` (its due time kept; its attempts count
    the try, though no number of them gives it up), the unhandled rest of the batch back
    to due as they were. Whether this outage is news is read from the surveys: one that
    already carries the same error was given back by an earlier run, which reported it."""
    now, token = ctx.clock(), ctx.claim_token
    record = batch[at]
    ctx.store.mark_survey_failed(record.id, error, now, record.due_at, token=token)
    _release(ctx, batch[at + 1 :])
    first = not any(r.last_error == error for r in batch)
    left = len(batch) - at
    log.error("survey e-mails held: %s (%d surveys given back, still due)", error, left)
    return MailServerDown(
        f"survey e-mails cannot be sent: {error}; the due surveys stay due and go out at the "
        "first run after that",
        first,
    )


def _candidate(record: SurveyRecord) -> SurveyCandidate:
    return SurveyCandidate(
        helpdesk=record.helpdesk,
        ticket_id=record.ticket_id,
        requester_email=record.requester_email,
        requester_name=record.requester_name or "",
        subject=record.subject or "",
        solved_at=record.solved_at,
        due_at=record.due_at,
        survey_id=record.id,
        link_nonce=record.link_nonce,
    )
