"""Proactive outreach: each contact recorded before its ticket is opened, once.

    from                 to                                  by
    (none)               intended, claimed by the deciding run   record_intents
    intended, unclaimed  claimed (token)                     claim_open (also stale claims)
    claimed              opened (ticket id; final)           mark_opened
    claimed              intended, unclaimed, attempts + 1   mark_failed

`key` is unique: two workers that decide the same contact insert one row, and the
second learns it was not theirs. A claim taken over from a run that died may have
opened the ticket already: its new owner looks for it before opening one
(`Helpdesk.find_created`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Connection

from care.domain.metrics import OutreachFigures
from care.domain.model import ProactiveContact
from care.domain.rules.outreach import PROACTIVE_OUTREACH, CustomerHistory
from care.store.actions import action_log
from care.store.answers import normalised, opt_outs
from care.store.events import error_events
from care.store.schema import OutreachEntry, OutreachState, TicketSnapshot
from care.store.sql import bindable, chunked, claim, table_of, upsert

outreach = table_of(OutreachEntry)
snapshots = table_of(TicketSnapshot)
STALE_CLAIM = timedelta(minutes=10)
UNSOLVED_EXCLUDES = ("solved", "closed")


@dataclass(frozen=True, slots=True)
class OutreachIntent:
    """A decided contact, its message rendered, as recorded before the ticket exists."""

    key: str
    helpdesk: str
    customer_email: str
    fingerprint: str
    error_event_id: int | None
    subject: str
    body: str
    public: bool
    tags: tuple[str, ...]
    facts: str
    intended_at: datetime


@dataclass(frozen=True, slots=True)
class OutreachRecord:
    intent: OutreachIntent
    attempts: int
    claimed_before: bool  # an earlier run held it: the ticket may exist already


def customer_histories(
    conn: Connection, wanted: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], CustomerHistory]:
    """(customer e-mail, fingerprint) -> what the store knows, in three queries a batch."""
    pairs = {(normalised(email), fingerprint) for email, fingerprint in wanted if bindable(email)}
    emails = sorted({email for email, _ in pairs})
    unsolved: dict[str, list[str]] = {}
    contacts: dict[str, list[Any]] = {}
    opted: set[str] = set()
    o, s = outreach.c, snapshots.c
    for chunk in chunked(emails):
        rows = conn.execute(
            select(func.lower(s.requester_email), s.helpdesk, s.ticket_id).where(
                func.lower(s.requester_email).in_(chunk), s.status.not_in(UNSOLVED_EXCLUDES)
            )
        )
        for email, helpdesk, ticket_id in rows:
            unsolved.setdefault(email, []).append(f"{helpdesk} #{ticket_id}")
        query = select(o.customer_email, o.key, o.fingerprint, o.intended_at).where(
            o.customer_email.in_(chunk)
        )
        for row in conn.execute(query.order_by(o.intended_at, o.id)):
            contacts.setdefault(row.customer_email, []).append(row)
        opted.update(
            conn.execute(select(opt_outs.c.email).where(opt_outs.c.email.in_(chunk))).scalars()
        )
    histories = {}
    for email, fingerprint in pairs:
        mine = contacts.get(email, [])
        same = [c.intended_at for c in mine if c.fingerprint == fingerprint]
        histories[(email, fingerprint)] = CustomerHistory(
            unsolved_tickets=tuple(sorted(unsolved.get(email, ()))),
            last_contact=mine[-1].intended_at if mine else None,
            last_contact_key=mine[-1].key if mine else None,
            last_same_error=same[-1] if same else None,
            opted_out=email in opted,
        )
    return histories


def record_intents(
    conn: Connection, intents: Sequence[OutreachIntent], token: str, now: datetime
) -> set[str]:
    """Insert the intents claimed by `token`; the keys that were new (a key another
    worker recorded first is left as it is)."""
    new: set[str] = set()
    for intent in intents:
        stmt = (
            upsert(conn, outreach)
            .values(
                **_values(intent),
                state=OutreachState.INTENDED,
                claim_token=token,
                claimed_at=now,
            )
            .on_conflict_do_nothing(index_elements=[outreach.c.key])
            .returning(outreach.c.key)
        )
        if conn.execute(stmt).first() is not None:
            new.add(intent.key)
    return new


def claim_open(
    conn: Connection,
    token: str,
    now: datetime,
    limit: int,
    stale_after: timedelta = STALE_CLAIM,
) -> list[OutreachRecord]:
    """Claim intents whose ticket is not known to be open: unclaimed ones (an earlier
    attempt failed) and claims older than `stale_after` (their run died)."""
    o = outreach.c
    claimable = (o.state == OutreachState.INTENDED) & or_(
        o.claimed_at.is_(None), o.claimed_at < now - stale_after
    )
    rows = claim(
        conn,
        outreach,
        claimable,
        [o.intended_at, o.id],
        limit,
        {"claim_token": token, "claimed_at": now},
    )
    return [_record(row, claimed_before=True) for row in sorted(rows, key=lambda r: r.id)]


def mark_opened(conn: Connection, key: str, token: str, ticket_id: str, now: datetime) -> bool:
    o = outreach.c
    stmt = (
        update(outreach)
        .where(o.key == key, o.claim_token == token, o.state == OutreachState.INTENDED)
        .values(state=OutreachState.OPENED, ticket_id=ticket_id, opened_at=now, last_error=None)
    )
    return conn.execute(stmt).rowcount == 1


def mark_failed(conn: Connection, key: str, token: str, error: str) -> None:
    """Give the claim back with the error: the next run looks for the ticket, then opens it."""
    o = outreach.c
    conn.execute(
        update(outreach)
        .where(o.key == key, o.claim_token == token, o.state == OutreachState.INTENDED)
        .values(claim_token=None, claimed_at=None, attempts=o.attempts + 1, last_error=error[:2000])
    )


def opened_contacts(
    conn: Connection, emails: Iterable[str], since: datetime
) -> dict[str, ProactiveContact]:
    """customer e-mail (lower case) -> their latest contact opened at or after `since`."""
    found: dict[str, ProactiveContact] = {}
    o = outreach.c
    for chunk in chunked(sorted({normalised(e) for e in emails if bindable(e)})):
        query = (
            select(o.customer_email, o.helpdesk, o.ticket_id, o.opened_at, o.subject)
            .where(
                o.customer_email.in_(chunk),
                o.state == OutreachState.OPENED,
                o.opened_at >= since,
            )
            .order_by(o.opened_at, o.id)
        )
        for row in conn.execute(query):
            found[row.customer_email] = ProactiveContact(
                row.helpdesk, row.ticket_id, row.opened_at, row.subject
            )
    return found


def recorded_tickets(conn: Connection, emails: Iterable[str]) -> dict[str, set[str]]:
    """customer e-mail (lower case) -> the ticket ids recorded for their contacts."""
    found: dict[str, set[str]] = {}
    o = outreach.c
    for chunk in chunked(sorted({normalised(e) for e in emails if bindable(e)})):
        query = select(o.customer_email, o.ticket_id).where(
            o.customer_email.in_(chunk), o.state == OutreachState.OPENED
        )
        for row in conn.execute(query):
            found.setdefault(row.customer_email, set()).add(row.ticket_id)
    return found


def activity(
    conn: Connection, start: datetime, end: datetime, link_days: float = 3
) -> OutreachFigures:
    """The report's outreach figures for [start, end): error events received and the
    customers they name, contacts opened, and how many of those the poll linked to a
    ticket the customer opened soon after (`assist.proactive_outreach`, variant linked:…)."""
    e, o, a = error_events.c, outreach.c, action_log.c
    errors, customers = conn.execute(
        select(func.count(), func.count(func.distinct(e.customer_email))).where(
            e.received_at >= start, e.received_at < end
        )
    ).one()
    opened = {
        f"linked:{helpdesk}:{ticket_id}"
        for helpdesk, ticket_id in conn.execute(
            select(o.helpdesk, o.ticket_id).where(
                o.state == OutreachState.OPENED, o.opened_at >= start, o.opened_at < end
            )
        )
    }
    linked = set(
        conn.execute(
            select(a.variant).where(a.rule == PROACTIVE_OUTREACH, a.variant.like("linked:%"))
        ).scalars()
    )
    return OutreachFigures(errors, customers, len(opened), len(opened & linked), link_days)


def counts(conn: Connection) -> dict[str, int]:
    """Contacts by state, for `care status`."""
    o = outreach.c
    rows = conn.execute(select(o.state, func.count()).group_by(o.state))
    return {state: count for state, count in rows}


def _values(intent: OutreachIntent) -> dict[str, Any]:
    return {
        "key": intent.key,
        "helpdesk": intent.helpdesk,
        "customer_email": normalised(intent.customer_email),
        "fingerprint": intent.fingerprint,
        "error_event_id": intent.error_event_id,
        "subject": intent.subject,
        "body": intent.body,
        "public": intent.public,
        "tags": sorted(intent.tags),
        "facts": intent.facts,
        "intended_at": intent.intended_at,
    }


def _record(row: Any, claimed_before: bool) -> OutreachRecord:
    intent = OutreachIntent(
        key=row.key,
        helpdesk=row.helpdesk,
        customer_email=row.customer_email,
        fingerprint=row.fingerprint,
        error_event_id=row.error_event_id,
        subject=row.subject,
        body=row.body,
        public=row.public,
        tags=tuple(row.tags),
        facts=row.facts,
        intended_at=row.intended_at,
    )
    return OutreachRecord(intent, row.attempts, claimed_before)
