"""Proactive outreach over batches of stored error events: decide, record, then open.

`decide_batch` judges a batch of events with one read of the customers' histories,
records every decided contact under its unique key (claimed by this run) and settles
the events with their outcome. `open_tickets` then opens each recorded contact's
ticket; a contact an earlier run held (it failed, or died) is first looked for in the
helpdesk, so a crash between opening a ticket and recording it opens no second one.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from care.domain.faq import FaqIndex
from care.domain.notes import NoteRenderer
from care.domain.policy import Policy
from care.domain.rules.outreach import CustomerHistory, Outreach, Skip, decide
from care.store import Store
from care.store.outreach import OutreachIntent, OutreachRecord
from connectors.base import Helpdesk, NewTicket
from connectors.errors import HelpdeskError
from tasks.context import utc_now

BATCH = 200  # events judged per read of the customers' histories
CONTACTED = "contacted"


@dataclass
class OutreachContext:
    store: Store
    helpdesk: Helpdesk
    policy: Policy
    faq: FaqIndex | None
    notes: NoteRenderer
    clock: Callable[[], datetime] = utc_now
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class OutreachResult:
    events: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # "contacted", "skipped:<why>"
    opened: int = 0  # tickets opened by this run
    found: int = 0  # tickets an earlier attempt had opened, found and recorded
    failed: dict[str, str] = field(default_factory=dict)  # outreach key -> error
    requests: dict[str, float] = field(default_factory=dict)  # the connector's, at the end
    endpoints: dict[str, int] = field(default_factory=dict)  # requests by "METHOD path"
    seconds: float = 0.0

    def add(self, other: OutreachResult) -> None:
        self.events += other.events
        self.outcomes.update(other.outcomes)
        self.opened += other.opened
        self.found += other.found
        self.failed.update(other.failed)

    @property
    def skipped(self) -> Counter[str]:
        return Counter(
            {k.removeprefix("skipped:"): n for k, n in self.outcomes.items() if k != CONTACTED}
        )


@task(name="decide-outreach", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def decide_batch(
    ctx: OutreachContext, events: Sequence[Any], dry_run: bool
) -> tuple[OutreachResult, list[OutreachIntent]]:
    """Judge `events` (stored error events: `.id`, `.event`); record and settle them
    unless `dry_run`. Returns the counts and the contacts this run now holds."""
    now = ctx.clock()
    wanted = [
        (e.event.customer_email, e.event.fingerprint) for e in events if e.event.customer_email
    ]
    histories = ctx.store.customer_histories(wanted)
    outcomes: dict[int, str] = {}
    intents: dict[str, tuple[OutreachIntent, int]] = {}  # key -> intent, its event row
    earlier: dict[str, list[OutreachIntent]] = {}  # contacts decided in this batch, by customer
    for stored in events:
        event = stored.event
        email = (event.customer_email or "").lower()
        history = _with_batch(
            histories.get((email, event.fingerprint), CustomerHistory()),
            earlier.get(email, []),
            event.fingerprint,
        )
        decided = decide(event, history, ctx.policy, ctx.helpdesk.name, now, ctx.faq)
        if isinstance(decided, Skip):
            outcomes[stored.id] = f"skipped:{decided}"
            continue
        intent = _intent(ctx, decided, event, stored.id, now)
        intents[intent.key] = (intent, stored.id)
        earlier.setdefault(email, []).append(intent)
        outcomes[stored.id] = CONTACTED
    held = [intent for intent, _ in intents.values()]
    if not dry_run:
        new = ctx.store.record_outreach(held, ctx.token, now)
        for key, (_, event_id) in intents.items():
            if key not in new:  # another worker recorded the same contact first
                outcomes[event_id] = f"skipped:{Skip.DUPLICATE}"
        held = [intent for intent in held if intent.key in new]
        ctx.store.settle_error_events(outcomes, now)
    result = OutreachResult(events=len(events), outcomes=Counter(outcomes.values()))
    return result, held


@task(name="open-outreach-tickets", cache_policy=NO_CACHE)
def open_tickets(
    ctx: OutreachContext, held: Sequence[OutreachIntent | OutreachRecord]
) -> OutreachResult:
    """Open the ticket of each contact this run holds. A contact taken over from an
    earlier attempt (`OutreachRecord`) is looked for first: it may be open already."""
    result = OutreachResult()
    intents = [item.intent if isinstance(item, OutreachRecord) else item for item in held]
    taken = ctx.store.outreach_tickets(i.customer_email for i in intents)
    for item, intent in zip(held, intents, strict=True):
        recorded = taken.setdefault(intent.customer_email.lower(), set())
        new = NewTicket(
            key=intent.key,
            requester_email=intent.customer_email,
            subject=intent.subject,
            body=intent.body,
            public=intent.public,
            tags=frozenset(intent.tags),
            facts=intent.facts,
            not_before=intent.intended_at,
            taken=frozenset(recorded),
        )
        try:
            ticket_id = ctx.helpdesk.find_created(new) if item is not intent else None
            if ticket_id is None:
                ticket_id = ctx.helpdesk.create_ticket(new)
                result.opened += 1
            else:
                result.found += 1
        except HelpdeskError as exc:
            error = f"{type(exc).__name__}: {exc}"
            ctx.store.outreach_failed(intent.key, ctx.token, error)
            result.failed[intent.key] = error
            continue
        if ctx.store.outreach_opened(intent.key, ctx.token, ticket_id, ctx.clock()):
            recorded.add(ticket_id)
    return result


def _with_batch(
    history: CustomerHistory, earlier: list[OutreachIntent], fingerprint: str
) -> CustomerHistory:
    """The customer's history with the contacts this batch decided before this event."""
    if not earlier:
        return history
    same = [i.intended_at for i in earlier if i.fingerprint == fingerprint]
    return replace(
        history,
        last_contact=earlier[-1].intended_at,
        last_contact_key=earlier[-1].key,
        last_same_error=same[-1] if same else history.last_same_error,
    )


def _intent(
    ctx: OutreachContext, decided: Outreach, event: Any, event_row: int, now: datetime
) -> OutreachIntent:
    where = f" on {event.url}" if event.url else ""
    facts = (
        f"{decided.customer_email} met “{event.title}” at "
        f"{event.occurred_at:%Y-%m-%d %H:%M} UTC{where} (reported by {event.source}, "
        f"event {event.event_id}). Opened by CARE pipelines to reach out first."
    )
    return OutreachIntent(
        key=decided.key,
        helpdesk=decided.helpdesk,
        customer_email=decided.customer_email,
        fingerprint=event.fingerprint,
        error_event_id=event_row,
        subject=decided.subject,
        body=ctx.notes.render(decided.message, decided.as_action()),
        public=decided.message.public,
        tags=tuple(sorted(decided.tags)),
        facts=facts,
        intended_at=now,
    )
