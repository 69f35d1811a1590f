"""A ticket record no mapping could read, set aside with why (`Skipped`), so that the
rest of its page goes on: one broken or hostile record never stops a helpdesk's poll.

Its id and `updated_at` are kept as far as they can be read: the flow quarantines the
ticket under that id, and lets it out when a newer version maps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from care.domain.text import clean_line
from connectors.base import Skipped
from connectors.errors import HelpdeskError, MalformedRecord
from connectors.timestamps import parse_time

MAX_REASON = 300


def set_aside(raw: Any, error: Exception) -> Skipped:
    """The `Skipped` for `raw`, which `error` kept from mapping.

    Call it for `MalformedRecord` and for any other error a mapping raised on the record
    itself (an unforeseen shape: TypeError, ValueError...); a `HelpdeskError` from a
    request made on the way (a 429, a 5xx) is not the record's fault: let it propagate.
    """
    assert isinstance(error, MalformedRecord) or not isinstance(error, HelpdeskError)
    record = raw if isinstance(raw, dict) else {}
    ticket_id = record.get("id")
    shown = str(ticket_id) if isinstance(ticket_id, int | str) else "?"
    reason = (
        str(error) if isinstance(error, MalformedRecord) else f"{type(error).__name__}: {error}"
    )
    return Skipped(
        ticket_id=clean_line(shown, limit=40) or "?",
        reason=clean_line(reason, limit=MAX_REASON),
        updated_at=_updated_at(record),
    )


def _updated_at(record: dict[str, Any]) -> datetime | None:
    try:
        return parse_time(record.get("updated_at"), "updated_at")
    except MalformedRecord:
        return None
