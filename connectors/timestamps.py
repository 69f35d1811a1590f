"""ISO 8601 timestamps from helpdesk JSON, as timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.errors import MalformedRecord


def parse_time(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedRecord(f"{field} is {value!r:.60}, not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError):  # OverflowError: year 1 an hour east of UTC
        raise MalformedRecord(f"{field} is {value!r:.60}, not an ISO 8601 timestamp") from None
