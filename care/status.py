"""What `care status` reports, gathered from the store alone (no helpdesk, no credential).

    status = collect_status(store, configured=("zendesk",), now=datetime.now(UTC))
    print(json.dumps(status_json(status)))

`care/status_text.py` draws the same `Status` as tables for a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from care.store import ActionRecord, Store
from care.store.overview import Overview, SurveyTotals
from connectors.errors import MalformedRecord
from connectors.freshdesk.client import Window
from connectors.timestamps import parse_time

LAG_MEANS = (
    "now minus the newest ticket change the polls have read (Freshdesk: the cursor's "
    "updated_since; Zendesk's cursor is opaque: the newest updated_at stored); it also "
    "grows while nothing changes, so compare the last poll"
)


@dataclass(frozen=True, slots=True)
class HelpdeskStatus:
    name: str
    configured: bool  # a URL is set; False: known only from the store
    cursor: str | None
    read_up_to: datetime | None  # the newest ticket change the polls have read
    read_up_to_from: str | None  # "cursor" or "ticket snapshots"
    lag: timedelta | None  # now - read_up_to
    last_poll_started_at: datetime | None
    last_poll_finished_at: datetime | None  # the last page saved, or the poll's failure
    last_error: str | None  # of the last poll; None once a page is saved again
    tickets_seen: int  # ticket reads over all polls
    tickets_stored: int  # distinct tickets with a snapshot

    @property
    def polled(self) -> bool:
        return self.last_poll_started_at is not None or self.cursor is not None


@dataclass(frozen=True, slots=True)
class Status:
    generated_at: datetime
    database: str  # the URL, password masked
    helpdesks: list[HelpdeskStatus]
    surveys: SurveyTotals
    actions_by_rule: dict[str, dict[str, dict[str, int]]]  # helpdesk -> rule -> state -> n
    recent_actions: list[ActionRecord]  # newest first
    failed_actions: list[ActionRecord]  # last attempt failed: given up, or to be retried


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
    )


def _helpdesk(overview: Overview, name: str, configured: bool, now: datetime) -> HelpdeskStatus:
    info = overview.cursors.get(name)
    tickets = overview.tickets.get(name)
    read_up_to, source = cursor_position(name, info.cursor if info else None), "cursor"
    if read_up_to is None and tickets is not None and tickets.newest_change is not None:
        read_up_to, source = tickets.newest_change, "ticket snapshots"
    return HelpdeskStatus(
        name=name,
        configured=configured,
        cursor=info.cursor if info else None,
        read_up_to=read_up_to,
        read_up_to_from=source if read_up_to else None,
        lag=now - read_up_to if read_up_to else None,
        last_poll_started_at=info.last_poll_started_at if info else None,
        last_poll_finished_at=info.last_poll_finished_at if info else None,
        last_error=info.last_error if info else None,
        tickets_seen=info.tickets_seen if info else 0,
        tickets_stored=tickets.count if tickets else 0,
    )


def cursor_position(helpdesk: str, cursor: str | None) -> datetime | None:
    """The newest change a cursor has passed, where the cursor says: Freshdesk's holds its
    `updated_since`; Zendesk's (`after_cursor` of the export) is opaque."""
    if helpdesk != "freshdesk" or not cursor:
        return None
    try:
        return parse_time(Window.decode(cursor).since, "cursor.since")
    except (ValueError, KeyError, TypeError, MalformedRecord):
        return None


# -- the --json document -------------------------------------------------------------


def status_json(status: Status) -> dict[str, Any]:
    """The `care status --json` document: stable keys, ISO 8601 times, durations in seconds."""
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
            "recent": [_action_json(a) for a in status.recent_actions],
            "failed": [_action_json(a) for a in status.failed_actions],
        },
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
    }


def _action_json(a: ActionRecord) -> dict[str, Any]:
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
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
