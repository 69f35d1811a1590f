"""The error-event part of the `Store` (SPEC §4b): the inbox the web endpoint fills and
the proactive-outreach flow empties (`care/store/events.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from care.domain.error_events import ErrorEvent
from care.store import events
from care.store.base import StoreBase
from care.store.events import StoredErrorEvent


class ErrorEventMethods(StoreBase):
    def record_error_event(self, event: ErrorEvent, received_at: datetime) -> bool:
        """Store the event; True when new. A repeat of its (source, event id) changes
        nothing, also under concurrent writers."""
        with self._write() as conn:
            return events.record(conn, event, received_at)

    def pending_error_events(self, limit: int = 100) -> list[StoredErrorEvent]:
        """Events not handled yet (state 'new'), oldest received first."""
        with self._read() as conn:
            return events.pending(conn, limit)

    def claim_error_events(self, token: str, now: datetime, limit: int) -> list[StoredErrorEvent]:
        """Events not handled yet, claimed for one outreach run (stale claims taken over)."""
        with self._write() as conn:
            return events.claim_new(conn, token, now, limit)

    def settle_error_events(self, outcomes: Mapping[int, str], at: datetime) -> int:
        """Mark events done: row id -> outcome ('contacted', 'skipped:no_email', ...), at
        `at`. Returns how many changed; an event settled already keeps its outcome."""
        with self._write() as conn:
            return events.settle(conn, outcomes, at)

    def error_event_counts(self) -> dict[str, int]:
        """'new' -> events waiting, 'done:<outcome>' -> events handled (`care status`)."""
        with self._read() as conn:
            return events.counts(conn)
