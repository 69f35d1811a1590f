"""What `care status` reports, gathered from the store alone (no helpdesk, no credential).

    status = collect_status(store, configured=("zendesk",), now=datetime.now(UTC))
    print(json.dumps(status_json(status)))

`care/status_text.py` draws the same `Status` as tables for a terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import make_url
from sqlalchemy.exc import SQLAlchemyError

from care.domain.wording import plural
from care.store import ActionRecord, ActionState, Store
from care.store.actions import STALE_CLAIM
from care.store.overview import Overview, SurveyTotals
from care.store.quarantine import QuarantinedRecord
from connectors.registry import HELPDESKS

LAG_MEANS = (
    "now minus the end of the last successful poll (last_successful_poll_at: it read every "
    "change up to then); a quiet helpdesk does not add to it, a poll that fails or does not "
    "finish does"
)

# HelpdeskStatus.state
NEVER_POLLED = "never_polled"
UP_TO_DATE = "up_to_date"  # the last poll read to the end of the changes
UNFINISHED = "unfinished"  # a poll started since has not read to the end: running, or stopped
FAILED = "failed"  # the last poll failed


@dataclass(frozen=True, slots=True)
class HelpdeskStatus:
    name: str
    configured: bool  # a URL is set; False: known only from the store
    cursor: str | None
    read_up_to: datetime | None  # the newest ticket change the polls have read
    read_up_to_from: str | None  # "cursor" or "ticket snapshots"
    lag: timedelta | None  # now - caught_up_at: how long changes may have gone unread
    last_poll_started_at: datetime | None
    last_poll_finished_at: datetime | None  # the last page handled, or the poll's failure
    last_error: str | None  # of the last poll; None once a page is saved again
    tickets_seen: int  # ticket reads over all polls
    tickets_stored: int  # distinct tickets with a snapshot
    last_page_saved_at: datetime | None = None  # a page with tickets; None: none saved yet
    caught_up_at: datetime | None = None  # end of the last poll that read every change
    quarantined: int = 0  # tickets set aside, waiting for their next change

    @property
    def polled(self) -> bool:
        return self.last_poll_started_at is not None or self.cursor is not None

    @property
    def state(self) -> str:
        if not self.polled:
            return NEVER_POLLED
        if self.last_error:
            return FAILED
        started = self.last_poll_started_at
        if self.caught_up_at and (started is None or self.caught_up_at >= started):
            return UP_TO_DATE
        return UNFINISHED

    @property
    def up_to_date_as_of(self) -> datetime | None:
        """When the last poll finished reading, if it read every change: nothing changed
        before then is unread, however long ago the newest change is."""
        return self.caught_up_at if self.state == UP_TO_DATE else None


@dataclass(frozen=True, slots=True)
class Status:
    generated_at: datetime
    database: str  # the URL, password masked
    helpdesks: list[HelpdeskStatus]
    surveys: SurveyTotals
    actions_by_rule: dict[str, dict[str, dict[str, int]]]  # helpdesk -> rule -> state -> n
    recent_actions: list[ActionRecord]  # newest first
    failed_actions: list[ActionRecord]  # failed: given up, to be retried, or claim gone stale
    quarantined: list[QuarantinedRecord] = field(default_factory=list)  # latest seen first
    # Proactive outreach: "new" -> events waiting, "done:<outcome>" -> events handled;
    # contacts by state ("intended": its ticket not opened yet, "opened").
    error_events: dict[str, int] = field(default_factory=dict)
    outreach: dict[str, int] = field(default_factory=dict)


QUARANTINE_RETRY = "read again when it next changes in the helpdesk"


def read_status(
    database_url: str, configured: Sequence[str], now: datetime, recent: int = 10
) -> Status:
    """`collect_status` over a read-only connection: creates and migrates nothing.

    Raises `NotInitialised` (see `not_used_yet`) for a database no CARE run has used.
    """
    with Store.open_read_only(database_url) as store:
        return collect_status(store, configured, now, recent=recent)


def not_used_yet(database_url: str) -> str:
    """What `care status` says about a database no CARE run has used (`NotInitialised`)."""
    shown = make_url(database_url).render_as_string(hide_password=True)
    return (
        f"No CARE run has used this database yet ({shown}): nothing to report. It is the "
        "database CARE_DATABASE_URL names (else database_url in care.toml, else care.db in "
        "the working directory); the first poll creates its tables, care status never does."
    )


def collect_status(
    store: Store, configured: Sequence[str], now: datetime, recent: int = 10, failed: int = 10
) -> Status:
    """One read of the store; `configured`: the helpdesks with a URL set."""
    overview = store.overview(now, recent=recent, failed=failed)
    names = [*configured, *(h for h in overview.helpdesks if h not in configured)]
    return Status(
        generated_at=now,
        database=store.url_for_display,
        helpdesks=[_helpdesk(overview, name, name in configured, now) for name in names],
        surveys=overview.surveys,
        actions_by_rule=overview.actions_by_rule,
        recent_actions=overview.recent_actions,
        failed_actions=overview.failed_actions,
        quarantined=overview.quarantined,
        error_events=_or_none(store.error_event_counts),
        outreach=_or_none(store.outreach_counts),
    )


def _or_none(count: Callable[[], dict[str, int]]) -> dict[str, int]:
    """Counts of a table a database not yet migrated to it does not have: none."""
    try:
        return count()
    except SQLAlchemyError:
        return {}


def _helpdesk(overview: Overview, name: str, configured: bool, now: datetime) -> HelpdeskStatus:
    info = overview.cursors.get(name)
    tickets = overview.tickets.get(name)
    read_up_to, source = cursor_position(name, info.cursor if info else None), "cursor"
    if read_up_to is None and tickets is not None and tickets.newest_change is not None:
        read_up_to, source = tickets.newest_change, "ticket snapshots"
    caught_up_at = info.caught_up_at if info else None
    return HelpdeskStatus(
        name=name,
        configured=configured,
        cursor=info.cursor if info else None,
        read_up_to=read_up_to,
        read_up_to_from=source if read_up_to else None,
        lag=now - caught_up_at if caught_up_at else None,
        last_poll_started_at=info.last_poll_started_at if info else None,
        last_poll_finished_at=info.last_poll_finished_at if info else None,
        last_error=info.last_error if info else None,
        tickets_seen=info.tickets_seen if info else 0,
        tickets_stored=tickets.count if tickets else 0,
        last_page_saved_at=info.last_page_saved_at if info else None,
        caught_up_at=caught_up_at,
        quarantined=overview.quarantined_by_helpdesk.get(name, 0),
    )


def next_try(action: ActionRecord, now: datetime) -> tuple[datetime | None, str]:
    """When a failing action is tried again: the time it is claimable from (None: no
    such time), and a phrase saying so for a person."""
    if action.state is ActionState.FAILED:
        return None, f"given up after {plural(action.attempts, 'attempt')}"
    if action.state is ActionState.APPLIED:
        return None, "applied; its alert is retried by the next poll"
    if action.state is ActionState.APPLYING:
        if action.claimed_at and action.claimed_at < now - STALE_CLAIM:
            expired = action.claimed_at + STALE_CLAIM
            return expired, (
                f"claim expired at {_when(expired)} (the run holding it stopped): "
                "retried by the next poll"
            )
        return None, "being retried now"
    if action.retry_at and action.retry_at > now:
        return action.retry_at, f"retry at {_when(action.retry_at)}, by the first poll after"
    if action.retry_at:
        return action.retry_at, f"due since {_when(action.retry_at)}: retried by the next poll"
    return None, "retried by the next poll"


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def cursor_position(helpdesk: str, cursor: str | None) -> datetime | None:
    """The newest change a cursor has passed, where the helpdesk's cursor says (Zendesk's
    export cursor is opaque)."""
    kind = HELPDESKS.get(helpdesk)
    return kind.cursor_moment(cursor) if kind and cursor else None


# -- the --json document -------------------------------------------------------------


def status_json(status: Status) -> dict[str, Any]:
    """The `care status --json` document: stable keys, ISO 8601 times, durations in seconds."""
    now = status.generated_at
    return {
        "generated_at": _iso(status.generated_at),
        "database": status.database,
        "lag_means": LAG_MEANS,
        "helpdesks": [_helpdesk_json(h) for h in status.helpdesks],
        "surveys": {
            "by_state": status.surveys.by_state,
            "due_now": status.surveys.due_now,
            "answers": status.surveys.answers,
            "comments": status.surveys.comments,
            "opt_outs": status.surveys.opt_outs,
            "pending_write_backs": status.surveys.pending_write_backs,
        },
        "actions": {
            "by_rule": status.actions_by_rule,
            "recent": [_action_json(a, now) for a in status.recent_actions],
            "failed": [_action_json(a, now) for a in status.failed_actions],
        },
        "quarantined": [_quarantined_json(q) for q in status.quarantined],
        "outreach": {"error_events": status.error_events, "contacts": status.outreach},
    }


def _helpdesk_json(h: HelpdeskStatus) -> dict[str, Any]:
    return {
        "name": h.name,
        "configured": h.configured,
        "cursor": h.cursor,
        "read_up_to": _iso(h.read_up_to),
        "read_up_to_from": h.read_up_to_from,
        "lag_seconds": round(h.lag.total_seconds()) if h.lag is not None else None,
        "last_poll_started_at": _iso(h.last_poll_started_at),
        "last_poll_finished_at": _iso(h.last_poll_finished_at),
        "last_error": h.last_error,
        "tickets_seen": h.tickets_seen,
        "tickets_stored": h.tickets_stored,
        "state": h.state,
        "up_to_date_as_of": _iso(h.up_to_date_as_of),
        "last_successful_poll_at": _iso(h.caught_up_at),
        "last_page_saved_at": _iso(h.last_page_saved_at),
        "quarantined": h.quarantined,
    }


def _action_json(a: ActionRecord, now: datetime) -> dict[str, Any]:
    retry_at, _ = next_try(a, now)
    return {
        "id": a.id,
        "helpdesk": a.helpdesk,
        "ticket_id": a.ticket_id,
        "rule": a.rule,
        "variant": a.variant,
        "state": a.state.value,
        "reason": a.reason,
        "created_at": _iso(a.created_at),
        "applied_at": _iso(a.applied_at),
        "attempts": a.attempts,
        "last_error": a.last_error,
        "alert_error": a.notify_error if a.notified_at is None else None,
        "retry_at": _iso(retry_at),  # claimable again from then; None: given up, or no wait
    }


def _quarantined_json(q: QuarantinedRecord) -> dict[str, Any]:
    return {
        "helpdesk": q.helpdesk,
        "ticket_id": q.ticket_id,
        "stage": q.stage,
        "reason": q.reason,
        "ticket_updated_at": _iso(q.ticket_updated_at),
        "first_seen_at": _iso(q.first_seen_at),
        "last_seen_at": _iso(q.last_seen_at),
        "times_seen": q.times_seen,
        "retried": QUARANTINE_RETRY,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
