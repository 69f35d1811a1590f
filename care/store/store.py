"""`Store`: the one object flows and the CLI use to reach the database.

`Store.open(url)` brings the schema to head first (so a fresh database needs
no separate step), safely when several processes start at once;
`Store.open_read_only(url)` (`care status`) creates and migrates nothing. Each
method is one short transaction and returns plain frozen records, never ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Self

from sqlalchemy.engine import Connection

from care.domain.actions import Action
from care.domain.metrics import OutreachFigures, ScopeCounts, Thresholds
from care.domain.model import CountedReplies, Previous, ProactiveContact, Ticket
from care.domain.periods import ReportPeriods
from care.domain.rules.outreach import CustomerHistory
from care.domain.scopes import Happened, OutcomeCounts, ScopeKey
from care.store import (
    accounts,
    actions,
    cursors,
    keys,
    outreach,
    quarantine,
    report_figures,
    report_outcomes,
    snapshots,
    surveys,
    waits,
)
from care.store import alerts as alert_outbox
from care.store.actions import ActionRecord
from care.store.base import now_utc
from care.store.cursors import CursorInfo
from care.store.database import open_engine_read_only
from care.store.event_methods import ErrorEventMethods
from care.store.outreach import OutreachIntent, OutreachRecord
from care.store.overview import Overview, read_overview
from care.store.pages import RecordedPage, refused_data, why_refused
from care.store.quarantine import QuarantinedRecord, SetAside
from care.store.survey_methods import SurveyMethods
from care.store.surveys import SurveyRequest
from care.store.waits import WaitObservation


class Store(SurveyMethods, ErrorEventMethods):
    """The CARE database. Thread-safe: threads share the engine's connection pool.

    with Store.open("sqlite:///care.db") as store:
        store.record_actions(pairs, now)
    """

    @classmethod
    def open_read_only(cls, url: str) -> Self:
        """Connect for reading only: nothing is created (not even a missing SQLite file)
        or migrated, and the database refuses writes on this connection.

        Raises `NotInitialised` for a database no CARE command has used yet, and
        `StoreError` for a schema at another revision than this release's head.
        """
        return cls(open_engine_read_only(url))

    # -- local secrets ----------------------------------------------------

    def note_ref_key(self) -> bytes:
        """The key of the refs printed in notes (see `care.domain.actions.action_ref`)."""
        with self._write() as conn:
            return keys.secret(conn, keys.NOTE_REFS)

    # -- cursors ----------------------------------------------------------

    def cursor(self, helpdesk: str) -> str | None:
        info = self.cursor_info(helpdesk)
        return info.cursor if info else None

    def cursor_info(self, helpdesk: str) -> CursorInfo | None:
        with self._read() as conn:
            return cursors.get(conn, helpdesk)

    def save_cursor(
        self, helpdesk: str, cursor: str, tickets: int, *, end_of_stream: bool = False
    ) -> None:
        """Record a handled page: new cursor, `tickets` added to the total, error cleared.
        `end_of_stream`: it was the last page of the changes, the helpdesk is caught up."""
        with self._write() as conn:
            cursors.save(conn, helpdesk, cursor, tickets, now_utc(), end_of_stream)

    def poll_started(self, helpdesk: str) -> None:
        with self._write() as conn:
            cursors.started(conn, helpdesk, now_utc())

    def poll_failed(self, helpdesk: str, message: str) -> None:
        """Record a failed poll; the cursor stays where it was."""
        with self._write() as conn:
            cursors.failed(conn, helpdesk, message, now_utc())

    # -- snapshots --------------------------------------------------------

    def upsert_snapshots(self, tickets: Sequence[Ticket], seen_at: datetime) -> None:
        """Store the latest state of a page of tickets (never overwriting newer with older)."""
        with self._write() as conn:
            snapshots.upsert_all(conn, tickets, seen_at)

    def requester_ticket_times(
        self, helpdesk: str, requester_ids: Iterable[str], since: datetime
    ) -> dict[str, list[tuple[str, datetime]]]:
        """requester id -> [(ticket id, created_at)] created at or after `since`.

        Every requested id is a key; lists are in creation order.
        """
        with self._read() as conn:
            return snapshots.requester_ticket_times(conn, helpdesk, requester_ids, since)

    def record_page(
        self,
        tickets: Sequence[Ticket],
        items: Sequence[tuple[Action, str | None]],
        surveys_due: Sequence[SurveyRequest],
        now: datetime,
        observed: Sequence[WaitObservation] = (),
    ) -> RecordedPage:
        """A page's snapshots, decisions, survey schedules and waits (`record_waits`) in one
        transaction; the tickets recorded leave quarantine.

        All or nothing, but for one case: when the database refuses the page's data (a
        text it cannot take), each ticket is recorded in a transaction of its own and
        those refused come back in `RecordedPage.refused` with why, to be quarantined:
        one bad ticket never keeps the rest of its page out. Any other error (the
        database is down, a crash) leaves the page as if unread, so it is read again.
        """
        whole = _Page(list(tickets), list(items), list(surveys_due), list(observed))
        try:
            with self._write() as conn:
                return _record(conn, whole, now)
        except Exception as exc:
            if not refused_data(exc):
                raise
        recorded = RecordedPage()
        for ticket_id, page in _by_ticket(whole).items():
            try:
                with self._write() as conn:
                    one = _record(conn, page, now)
            except Exception as exc:
                if not refused_data(exc):
                    raise
                recorded.refused[ticket_id] = why_refused(exc)
                continue
            recorded.surveys_scheduled += one.surveys_scheduled
            recorded.released += one.released
        return recorded

    def record_waits(self, observed: Sequence[WaitObservation], now: datetime) -> None:
        """Record what a poll saw of these tickets' waits (`care.store.waits`): each wait
        once, `breached_at` = `now` the first time it is seen breached, and the waits a
        ticket is past ended at its `seen_at`. Idempotent; two statements per 500 tickets.
        `record_page` does the same inside its own transaction."""
        with self._write() as conn:
            waits.record(conn, observed, now)

    # -- quarantine (care/store/quarantine.py) -----------------------------

    def quarantine(self, entries: Sequence[SetAside], now: datetime) -> None:
        """Set these tickets aside with their reasons (again: one more sighting)."""
        with self._write() as conn:
            quarantine.add(conn, entries, now)

    def quarantined(self, limit: int = 100) -> list[QuarantinedRecord]:
        """The quarantined tickets, seen most recently first."""
        with self._read() as conn:
            return quarantine.listed(conn, limit)

    def previous(self, helpdesk: str, ticket_ids: Iterable[str]) -> dict[str, Previous]:
        """What the last poll stored of these tickets: the start of a wait, group, hops."""
        with self._read() as conn:
            return snapshots.previous(conn, helpdesk, ticket_ids)

    def reply_counts(self, helpdesk: str, ticket_ids: Iterable[str]) -> dict[str, CountedReplies]:
        """Reply counts kept with the snapshots (connectors that must count them ask)."""
        with self._read() as conn:
            return snapshots.reply_counts(conn, helpdesk, ticket_ids)

    def account_created(
        self, helpdesk: str, requester_ids: Iterable[str]
    ) -> dict[str, datetime | None]:
        """requester id -> account creation time, for requesters looked up before."""
        with self._read() as conn:
            return accounts.created_at(conn, helpdesk, requester_ids)

    def remember_accounts(
        self, helpdesk: str, created: Mapping[str, datetime | None], now: datetime
    ) -> None:
        with self._write() as conn:
            accounts.remember(conn, helpdesk, created, now)

    # -- actions ----------------------------------------------------------

    def record_actions(self, items: Sequence[tuple[Action, str | None]], now: datetime) -> int:
        """Record (action, rendered note) pairs as `pending` unless their key exists.

        Returns how many were new. Recording the same action again is a no-op:
        this is the at-most-once guarantee.
        """
        with self._write() as conn:
            return actions.record(conn, items, now)

    def claim_pending(
        self,
        helpdesk: str,
        token: str,
        limit: int | None = None,
        stale_after: timedelta = actions.STALE_CLAIM,
        *,
        now: datetime | None = None,
    ) -> list[ActionRecord]:
        """Move `pending` rows (and `applying` ones claimed over `stale_after` ago) to
        `applying` under `token` and return them, oldest first.

        Concurrent claimers never receive the same row.
        """
        with self._write() as conn:
            return actions.claim_pending(
                conn, helpdesk, token, limit, now or now_utc(), stale_after
            )

    def mark_job(self, ids: Iterable[int], job_id: str) -> None:
        """Note the helpdesk job that carries these actions (checked on a stale re-claim)."""
        with self._write() as conn:
            actions.mark_job(conn, ids, job_id)

    def mark_jobs(self, jobs: Mapping[str, Mapping[str, Iterable[int]]]) -> None:
        """`mark_job` for every job (job id -> ticket id -> action ids), in one transaction."""
        if not jobs:
            return
        with self._write() as conn:
            for job_id, by_ticket in jobs.items():
                actions.mark_job(conn, [i for ids in by_ticket.values() for i in ids], job_id)

    def known_keys(self, helpdesk: str, ticket_ids: Iterable[str]) -> set[str]:
        """Action keys already recorded for these tickets: what a dry run would not redo."""
        with self._read() as conn:
            return actions.known_keys(conn, helpdesk, ticket_ids)

    def mark_applied(self, ids: Iterable[int], now: datetime) -> None:
        with self._write() as conn:
            actions.mark_applied(conn, ids, now)

    def mark_failed(
        self,
        ids: Iterable[int],
        error: str,
        max_attempts: int = 5,
        *,
        now: datetime | None = None,
    ) -> None:
        """The helpdesk said these writes failed: one more attempt counted and `error`
        kept; `pending` again, claimable from `retry_at` (a backoff, see
        `actions.RETRY_DELAYS`), or `failed` at `max_attempts`."""
        with self._write() as conn:
            actions.mark_failed(conn, ids, error, max_attempts, now or now_utc())

    def release_actions(
        self,
        ids: Iterable[int],
        error: str,
        *,
        token: str,
        attempted: bool,
        now: datetime | None = None,
    ) -> None:
        """Give back actions claimed under `token` that a run cannot see through (a write
        raised, or the run failed): `pending` with `error`, never given up on; the job id
        stays, so the retry checks what reached the helpdesk before writing again.

        `attempted`: the write was sent: one more attempt, retried after the backoff;
        otherwise retried by the next poll. Rows no longer claimed under `token` (taken
        over, or settled) are left alone.
        """
        with self._write() as conn:
            actions.release(conn, ids, token, error, now or now_utc(), attempted)

    def actions_by_rule(self, helpdesk: str | None = None) -> dict[str, dict[str, int]]:
        """rule -> state -> count, for one helpdesk or all."""
        with self._read() as conn:
            return actions.counts_by_rule(conn, helpdesk)

    def recent_actions(self, limit: int = 20) -> list[ActionRecord]:
        """The latest recorded actions, newest first."""
        with self._read() as conn:
            return actions.recent(conn, limit)

    def overview(self, now: datetime, recent: int = 20, failed: int = 20) -> Overview:
        """What `care status` shows: cursors, stored tickets, actions by rule, the `recent`
        latest actions and `failed` latest failures, survey totals; in one read."""
        with self._read() as conn:
            return read_overview(conn, now, recent, failed)

    # -- proactive outreach (care/store/outreach.py) ------------------------

    def customer_histories(
        self, wanted: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], CustomerHistory]:
        """(customer e-mail, fingerprint) -> unsolved tickets, past contacts, opt-out."""
        with self._read() as conn:
            return outreach.customer_histories(conn, wanted)

    def record_outreach(
        self, intents: Sequence[OutreachIntent], token: str, now: datetime
    ) -> set[str]:
        """Record decided contacts, claimed by `token`; the keys that were new."""
        with self._write() as conn:
            return outreach.record_intents(conn, intents, token, now)

    def claim_open_outreach(self, token: str, now: datetime, limit: int) -> list[OutreachRecord]:
        with self._write() as conn:
            return outreach.claim_open(conn, token, now, limit)

    def outreach_opened(self, key: str, token: str, ticket_id: str, now: datetime) -> bool:
        with self._write() as conn:
            return outreach.mark_opened(conn, key, token, ticket_id, now)

    def outreach_failed(self, key: str, token: str, error: str) -> None:
        with self._write() as conn:
            outreach.mark_failed(conn, key, token, error)

    def proactive_contacts(
        self, emails: Iterable[str], since: datetime
    ) -> dict[str, ProactiveContact]:
        """Customer e-mail -> the latest ticket outreach opened for them since `since`."""
        with self._read() as conn:
            return outreach.opened_contacts(conn, emails, since)

    def outreach_tickets(self, emails: Iterable[str]) -> dict[str, set[str]]:
        """Customer e-mail (lower case) -> the ticket ids recorded for their contacts."""
        with self._read() as conn:
            return outreach.recorded_tickets(conn, emails)

    def outreach_activity(
        self, start: datetime, end: datetime, link_days: float = 3
    ) -> OutreachFigures:
        """Error events, contacts and customers who wrote in anyway, for the report."""
        with self._read() as conn:
            return outreach.activity(conn, start, end, link_days)

    def outreach_counts(self) -> dict[str, int]:
        with self._read() as conn:
            return outreach.counts(conn)

    # -- alerts (care/store/alerts.py) -------------------------------------

    def claim_alerts(
        self,
        helpdesk: str,
        rules: Sequence[str],
        token: str,
        limit: int,
        *,
        max_attempts: int,
        applied_since: datetime,
        exclude: Iterable[int] = (),
        stale_after: timedelta = alert_outbox.STALE_CLAIM,
        now: datetime | None = None,
    ) -> list[ActionRecord]:
        """Claim applied `notify` actions of these rules whose alert has not gone out,
        applied at or after `applied_since` and tried fewer than `max_attempts` times
        (and alert claims older than `stale_after`), oldest first.

        Concurrent claimers never receive the same row.
        """
        with self._write() as conn:
            return alert_outbox.claim_due(
                conn,
                helpdesk,
                rules,
                token,
                limit,
                now or now_utc(),
                max_attempts=max_attempts,
                applied_since=applied_since,
                stale_after=stale_after,
                exclude=exclude,
            )

    # Each transition below applies only while the row is claimed under `token`, and
    # returns False otherwise (the claim was taken over, or the alert went out).

    def mark_alert_sent(self, id: int, now: datetime, *, token: str) -> bool:
        """Record `notified_at`: this alert is never sent again."""
        with self._write() as conn:
            return alert_outbox.mark_notified(conn, id, token, now)

    def mark_alert_failed(self, id: int, error: str, *, token: str) -> bool:
        """Count a failed try (`notify_attempts`) and keep why (`notify_error`)."""
        with self._write() as conn:
            return alert_outbox.mark_failed(conn, id, token, error)

    def release_alerts(self, ids: Iterable[int], *, token: str) -> None:
        """Give back claimed alerts that were not tried, without counting an attempt."""
        with self._write() as conn:
            alert_outbox.release(conn, ids, token)

    # -- reports ----------------------------------------------------------

    def report_scopes(
        self, periods: ReportPeriods, thresholds: Thresholds
    ) -> dict[ScopeKey, ScopeCounts]:
        """Counts per scope (everything, helpdesk, group, agent) of each period: the
        window, the one before it, the trend's weeks (`care.store.report_figures`)."""
        with self._read() as conn:
            return report_figures.scope_counts(conn, periods, thresholds)

    def report_contacts(
        self, periods: ReportPeriods, thresholds: Thresholds
    ) -> list[tuple[str | None, datetime, Happened]]:
        """(e-mail, solved at, what happened) of the window's solved tickets."""
        with self._read() as conn:
            return list(report_outcomes.solved_contacts(conn, periods, thresholds))

    def report_outcomes(
        self, periods: ReportPeriods, thresholds: Thresholds
    ) -> dict[Happened, OutcomeCounts]:
        """The window's solved tickets by what happened on them: surveys, came back."""
        with self._read() as conn:
            return report_outcomes.outcome_counts(conn, periods, thresholds)


@dataclass
class _Page:
    """What `record_page` records, for one page or one ticket of it."""

    tickets: list[Ticket] = field(default_factory=list)
    items: list[tuple[Action, str | None]] = field(default_factory=list)
    surveys_due: list[SurveyRequest] = field(default_factory=list)
    observed: list[WaitObservation] = field(default_factory=list)


def _record(conn: Connection, page: _Page, now: datetime) -> RecordedPage:
    snapshots.upsert_all(conn, page.tickets, now)
    actions.record(conn, page.items, now)
    scheduled = surveys.schedule(conn, page.surveys_due, now)
    waits.record(conn, page.observed, now)
    released = quarantine.release(conn, page.tickets)
    return RecordedPage(surveys_scheduled=scheduled, released=released)


def _by_ticket(page: _Page) -> dict[str, _Page]:
    """A page cut into one page per ticket (id -> its tickets, decisions, surveys, waits)."""
    pages = {t.id: _Page() for t in page.tickets}
    for t in page.tickets:
        pages[t.id].tickets.append(t)
    for item in page.items:
        pages.setdefault(item[0].ticket_id, _Page()).items.append(item)
    for survey in page.surveys_due:
        pages.setdefault(survey.ticket_id, _Page()).surveys_due.append(survey)
    for o in page.observed:
        pages.setdefault(o.ticket_id, _Page()).observed.append(o)
    return pages
