"""Poll tasks over whole pages: read one page; evaluate → record → apply one page.

A task per page (never per ticket): Prefect's ~10 ms per task would otherwise
cap throughput near 100 tickets/s.
"""

from __future__ import annotations

import dataclasses
import logging
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError

from care.domain.actions import Action
from care.domain.model import Ticket, tracked_hops, waiting_since
from care.domain.rules import evaluate
from care.domain.rules.outreach import PROACTIVE_OUTREACH
from care.domain.rules.resolve import RESPONSE_SLA
from care.domain.waits import current_wait
from care.store import ActionRecord, SurveyRequest, WaitObservation
from care.store.quarantine import READ, RULES, STORE, SetAside
from connectors.base import UNCONFIRMED_JOB, ApplyReport, Change, Jobs, Page
from connectors.errors import Transient
from tasks.changes import merge
from tasks.context import PollContext

CLAIM_LIMIT = 5000
MAX_HOLD = timedelta(minutes=2)  # longest a change waits for a fuller bulk call


def retry_transient(task, task_run, state) -> bool:
    """Retry only what may succeed later (429, 5xx, timeouts); never auth or bad requests,
    nor what the HTTP layer already retried as long as a request may wait."""
    try:
        state.result()
    except Transient as exc:
        return not exc.exhausted
    except Exception:
        return False
    return False


@dataclass
class PageResult:
    pages: int = 1
    tickets: int = 0
    skipped: int = 0  # tickets quarantined (len of `quarantined`)
    new_actions: Counter[str] = field(default_factory=Counter)  # rule -> count
    applied: int = 0
    failed: int = 0
    surveys_scheduled: int = 0
    examples: list[tuple[str, str]] = field(default_factory=list)  # (rule, rendered note)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (ticket id, reason)
    released: int = 0  # quarantined tickets read normally again


@task(
    name="read-page",
    retries=3,
    retry_delay_seconds=[5, 30, 120],
    retry_condition_fn=retry_transient,
    cache_policy=NO_CACHE,
)
def read_page(ctx: PollContext, cursor: str | None, start: datetime) -> Page:
    return ctx.helpdesk.read_page(cursor, start)


@task(name="handle-page", cache_policy=NO_CACHE)
def handle_page(ctx: PollContext, page: Page, dry_run: bool = False) -> PageResult:
    """Evaluate the CARE rules on a page, record the new decisions, then apply them.

    A ticket that cannot be read, whose rules raise, or that the database refuses is
    quarantined on its own (`care.store.quarantine`): the rest of the page is recorded,
    so the cursor moves on and one bad ticket never blocks the others.
    """
    now, name = ctx.clock(), ctx.helpdesk.name
    aside = [SetAside(name, s.ticket_id, READ, s.reason, s.updated_at) for s in page.skipped]
    tickets = with_history(ctx, with_requester_history(ctx, page.tickets))
    tickets = with_proactive_contacts(ctx, tickets)
    known = ctx.store.known_keys(name, {t.id for t in tickets})
    kept, decided, fresh = _decide(ctx, tickets, known, now, aside)
    result = PageResult(tickets=len(page.tickets))
    if not dry_run:
        # The decisions are durable before anything is applied. Every solve is passed on,
        # not only new ones: a reopened ticket solved again is rescheduled.
        surveys = _survey_requests(decided, kept)
        recorded = ctx.store.record_page(kept, fresh, surveys, now, _waits(kept, decided))
        updated = {t.id: t.updated_at for t in kept}
        aside += [SetAside(name, i, STORE, why, updated[i]) for i, why in recorded.refused.items()]
        fresh = [(a, note) for a, note in fresh if a.ticket_id not in recorded.refused]
        # A record without an id cannot be retried by id: the run's artifact lists it.
        if by_id := [e for e in aside if e.ticket_id != "?"]:
            ctx.store.quarantine(by_id, now)
        result.surveys_scheduled, result.released = recorded.surveys_scheduled, recorded.released
    result.new_actions.update(action.rule for action, _ in fresh)
    result.examples = [(action.rule, note) for action, note in fresh if note][:20]
    result.quarantined = [(e.ticket_id, e.reason) for e in aside]
    result.skipped = len(aside)
    for entry in aside:
        _log().warning("ticket %s quarantined (%s): %s", entry.ticket_id, entry.stage, entry.reason)
    if dry_run:
        return result
    claimed = ctx.store.claim_pending(name, ctx.claim_token, limit=CLAIM_LIMIT)
    apply_claimed(ctx, claimed, result, tickets={t.id: t for t in kept})
    return result


def _decide(
    ctx: PollContext,
    tickets: Sequence[Ticket],
    known: set[str],
    now: datetime,
    aside: list[SetAside],
) -> tuple[list[Ticket], list[Action], list[tuple[Action, str | None]]]:
    """The tickets whose rules ran, every decision, and the new ones with their notes
    rendered. A ticket whose rules or notes raise goes to `aside` (a bug or an input no
    one foresaw must not cost the other tickets their SLA tags and escalations)."""
    kept: list[Ticket] = []
    decided: list[Action] = []
    fresh: list[tuple[Action, str | None]] = []
    for t in tickets:
        try:
            actions = evaluate(t, ctx.policy, now, ctx.faq)
            new = [
                (a, ctx.notes.render(a.note, a) if a.note else None)
                for a in actions
                if a.key not in known
            ]
        except Exception as exc:
            _log().exception("the rules failed on ticket %s", t.id)
            aside.append(
                SetAside(t.helpdesk, t.id, RULES, f"{type(exc).__name__}: {exc}", t.updated_at)
            )
            continue
        kept.append(t)
        decided += actions
        fresh += new
    return kept, decided, fresh


def apply_claimed(
    ctx: PollContext,
    claimed: Sequence[ActionRecord],
    result: PageResult,
    flush: bool = False,
    tickets: Mapping[str, Ticket] | None = None,
) -> None:
    """Send claimed actions, one change per ticket (`tasks.changes.merge`: every action
    of a ticket in one update with one note), as bulk jobs; settle whichever jobs have
    finished meanwhile. `tickets`: the page's, the base of their changes.

    Changes wait in `ctx.unsent` until the helpdesk has a full bulk call of them
    (they stay claimed in the store, so a crash loses nothing), and jobs are not
    waited for: the next page is read while they run. `settle_writes` sends the
    rest and waits at the end of the run.

    A write or job check that raises (the helpdesk answered 500 after every retry)
    gives back every claimed action in hand with the error (`release_held`) before
    the run fails: they show as failing with their retry time at once, instead of
    sitting `applying` until their claim goes stale.
    """
    in_hand = set(ctx.action_ids(c.ref for c in ctx.unsent)) | set(
        ctx.action_ids(_refs(ctx.outstanding))
    )
    # (a long run may re-claim its own rows once their claim looks stale)
    merged = merge([r for r in claimed if r.id not in in_hand], tickets or {})
    ctx.members.update(merged.members)
    ctx.unsent.extend(merged.changes)
    flush = flush or ctx.clock() - ctx.last_flush > MAX_HOLD
    send, ctx.unsent = ctx.helpdesk.ready(ctx.unsent, flush=flush)
    if flush:
        ctx.last_flush = ctx.clock()
    try:
        if send:
            _send(ctx, send, result)
        if ctx.outstanding:
            report, ctx.outstanding = ctx.helpdesk.settle(ctx.outstanding, wait=False)
            _settled(ctx, report, result)
    except Exception as exc:
        release_held(ctx, exc)
        raise


def _send(ctx: PollContext, send: list[Change], result: PageResult) -> None:
    # Recorded before sending: a crash in between leaves a trace to check, not a guess.
    ctx.store.mark_jobs({UNCONFIRMED_JOB: {"": ctx.action_ids(c.ref for c in send)}})
    try:
        submission = ctx.helpdesk.submit(send)
    except Exception as exc:
        # Some calls may have gone through before the one that raised: the rows keep
        # their unconfirmed job, so the retry looks for their notes before re-posting.
        _release(ctx, [c.ref for c in send], exc, attempted=True)
        raise
    ctx.store.mark_jobs(ctx.action_jobs(submission.jobs))  # a crashed run finds its jobs
    ctx.outstanding.update(submission.jobs)
    _settled(ctx, submission.settled, result)


@task(name="settle-writes", cache_policy=NO_CACHE)
def settle_writes(ctx: PollContext) -> PageResult:
    """Send what is still held, wait for every job and record the outcome."""
    result = PageResult(pages=0)
    apply_claimed(ctx, [], result, flush=True)
    if ctx.outstanding:
        try:
            report, ctx.outstanding = ctx.helpdesk.settle(ctx.outstanding, wait=True)
        except Exception as exc:
            release_held(ctx, exc)
            raise
        _settled(ctx, report, result)
    return result


def release_held(ctx: PollContext, error: BaseException) -> None:
    """Give back every claimed action this run still holds (held for a fuller bulk call,
    or in a job not settled yet) with `error`: the next poll retries them, following
    their jobs. For a run that fails; a second call gives back nothing."""
    held = [c.ref for c in ctx.unsent] + sorted(_refs(ctx.outstanding))
    ctx.unsent, ctx.outstanding = [], {}
    _release(ctx, held, error, attempted=False)


def _release(ctx: PollContext, refs: list[int], error: BaseException, attempted: bool) -> None:
    if not refs:
        return
    message = f"{type(error).__name__}: {error}"
    try:
        ids = ctx.action_ids(refs)
        ctx.store.release_actions(ids, message, token=ctx.claim_token, attempted=attempted)
    except Exception as store_error:  # the run's own error is the one to raise
        _log().warning(
            "could not give back %d claimed actions (%s): they are retried once their "
            "claim goes stale",
            len(refs),
            store_error,
        )


def _settled(ctx: PollContext, report: ApplyReport, result: PageResult) -> None:
    applied = ctx.action_ids(report.applied)
    ctx.store.mark_applied(applied, ctx.clock())
    by_error: dict[str, list[int]] = {}
    for ref, error in report.failed.items():
        by_error.setdefault(error, []).extend(ctx.action_ids([ref]))
    for error, ids in by_error.items():
        ctx.store.mark_failed(ids, error)
    result.applied += len(applied)
    result.failed += sum(len(ids) for ids in by_error.values())
    for ref in [*report.applied, *report.failed]:  # settled: the run needs them no more
        ctx.members.pop(ref, None)
    if report.failed:
        _log().warning(
            "%d actions failed and will be retried: %s",
            len(report.failed),
            next(iter(report.failed.values())),
        )


def _refs(jobs: Jobs) -> set[int]:
    return {ref for job in jobs.values() for refs in job.values() for ref in refs}


def _log() -> logging.Logger | logging.LoggerAdapter:
    try:
        return get_run_logger()
    except MissingContextError:  # called outside a flow run (tests, the CLI)
        return logging.getLogger("care.poll")


def with_requester_history(ctx: PollContext, tickets: Sequence[Ticket]) -> list[Ticket]:
    """Add each requester's other ticket creation times (store + this page) for repeat_contact."""
    if not tickets or not ctx.policy.enabled("assist.repeat_contact"):
        return list(tickets)
    window = timedelta(days=ctx.policy.rules.repeat_contact.window_days)
    since = min(t.created_at for t in tickets) - window
    known = ctx.store.requester_ticket_times(
        ctx.helpdesk.name, {t.requester.id for t in tickets}, since
    )
    for t in tickets:  # the page itself may hold several of one requester's tickets
        known.setdefault(t.requester.id, []).append((t.id, t.created_at))
    histories = {r: _History(entries) for r, entries in known.items() if len(entries) > 1}
    enriched = []
    for t in tickets:
        history = histories.get(t.requester.id)
        # Only the window the rule counts: a monitoring system with thousands of tickets
        # must cost a lookup per ticket, not a copy of its whole history.
        opened = history.opened(t.created_at - window, t.created_at, t.id) if history else ()
        if opened:  # most requesters have one ticket: keep those tickets as they are
            t = dataclasses.replace(t, requester_ticket_times=opened)
        enriched.append(t)
    return enriched


def with_proactive_contacts(ctx: PollContext, tickets: Sequence[Ticket]) -> list[Ticket]:
    """Add the ticket CARE's outreach opened for each requester within the link window
    before their ticket (one query a page), for `assist.proactive_outreach` to link."""
    settings = ctx.policy.rules.proactive_outreach
    emails = {t.requester.email for t in tickets if t.requester.email}
    if not emails or not settings.link_days or not ctx.policy.enabled(PROACTIVE_OUTREACH):
        return list(tickets)
    since = min(t.created_at for t in tickets) - timedelta(days=settings.link_days)
    contacts = ctx.store.proactive_contacts(emails, since)
    if not contacts:
        return list(tickets)
    return [
        dataclasses.replace(t, proactive_contact=contacts[email])
        if (email := (t.requester.email or "").strip().lower()) in contacts
        else t
        for t in tickets
    ]


class _History:
    """One requester's tickets by creation time, each ticket once."""

    def __init__(self, entries: Iterable[tuple[str, datetime]]) -> None:
        ordered = sorted((created, ticket_id) for ticket_id, created in dict(entries).items())
        self.times = [created for created, _ in ordered]
        self.ids = [ticket_id for _, ticket_id in ordered]

    def opened(self, start: datetime, end: datetime, excluding: str) -> tuple[datetime, ...]:
        """Creation times in [start, end] of the tickets other than `excluding`."""
        lo, hi = bisect_left(self.times, start), bisect_right(self.times, end)
        return tuple(self.times[i] for i in range(lo, hi) if self.ids[i] != excluding)


def with_history(ctx: PollContext, tickets: Sequence[Ticket]) -> list[Ticket]:
    """Carry over from the previous poll what one look at a ticket cannot tell: the start
    of the requester's unanswered wait, and group/assignee hops (one query a page)."""
    if not tickets:
        return []
    previous = ctx.store.previous(ctx.helpdesk.name, {t.id for t in tickets})
    enriched = []
    for t in tickets:
        before = previous.get(t.id)
        since = waiting_since(t, before)
        groups, assignees = tracked_hops(t, before)
        if since or (groups, assignees) != (t.group_hops, t.assignee_hops):
            t = dataclasses.replace(
                t, waiting_since=since, group_hops=groups, assignee_hops=assignees
            )
        enriched.append(t)
    return enriched


def _survey_requests(actions: Iterable[Action], tickets: Sequence[Ticket]) -> list[SurveyRequest]:
    by_id = {t.id: t for t in tickets}
    requests = []
    for action in actions:
        if action.survey_due_at is None:
            continue
        t = by_id[action.ticket_id]
        assert t.solved_at is not None
        requests.append(
            SurveyRequest(
                helpdesk=t.helpdesk,
                ticket_id=t.id,
                requester_id=t.requester.id,
                requester_email=t.requester.email,
                requester_name=t.requester.name,
                subject=t.subject,
                solved_at=t.solved_at,
                due_at=action.survey_due_at,
            )
        )
    return requests


def _waits(tickets: Sequence[Ticket], decided: Iterable[Action]) -> list[WaitObservation]:
    """Each ticket's current wait, breached when the SLA rule decided a breach now (variant
    "breached", or "breached:<wait key>")."""
    breached = {
        a.ticket_id for a in decided if a.rule == RESPONSE_SLA and a.variant.startswith("breached")
    }
    return [
        WaitObservation(
            t.helpdesk, t.id, t.group_id, current_wait(t), t.id in breached, t.updated_at
        )
        for t in tickets
    ]
