"""An alert with sane defaults for the message and channel tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from care.domain.alerts import Alert

DECIDED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
APPLIED = datetime(2026, 3, 2, 9, 31, 5, tzinfo=UTC)


def alert(**overrides: Any) -> Alert:
    fields: dict[str, Any] = {
        "key": "zendesk:42:resolve.two_interactions:",
        "helpdesk": "zendesk",
        "ticket_id": "42",
        "ticket_url": "https://acme.zendesk.com/agent/tickets/42",
        "rule": "resolve.two_interactions",
        "variant": "",
        "reason": "the requester wrote again after 2 agent replies: not solved in two interactions",
        "decided_at": DECIDED,
        "applied_at": APPLIED,
    }
    fields.update(overrides)
    return Alert(**fields)
