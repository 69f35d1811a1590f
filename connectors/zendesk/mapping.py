"""Zendesk ticket JSON (+ sideloaded user and metric set) → the normalized `Ticket`.

One pure function; it never mutates its input. How the metric set answers
the rules' questions without a per-ticket call:

- public agent replies: `replies`; first reply: `created_at + reply_time_in_minutes.calendar`
- last agent reply: `assignee_updated_at` when there was a reply (the assignee's last update)
- last requester message: `requester_updated_at`
- group / assignee hops: `group_stations - 1`, `assignee_stations - 1`
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from care.model import Priority, Requester, Status, Ticket
from connectors.errors import MalformedRecord
from connectors.timestamps import parse_time

_STATUSES = {s.value: s for s in Status}
_PRIORITIES = {p.value: p for p in Priority}


def _optional_time(value: Any, field: str) -> datetime | None:
    return None if value in (None, "") else parse_time(value, field)


def _optional_id(value: Any) -> str | None:
    return None if value is None else str(value)


def to_ticket(
    raw: Mapping[str, Any],
    users: Mapping[int, Mapping[str, Any]],
    metrics: Mapping[str, Any] | None,
    *,
    helpdesk: str,
    base_url: str,
) -> Ticket:
    """Map one ticket of the incremental export; raises MalformedRecord with the reason."""
    if not isinstance(raw.get("id"), int):
        raise MalformedRecord(f"id is {raw.get('id')!r}, not an integer")
    status = _STATUSES.get(raw.get("status") or "")
    if status is None:
        raise MalformedRecord(f"unknown status {raw.get('status')!r}")
    priority_raw = raw.get("priority")
    priority = _PRIORITIES.get(priority_raw) if priority_raw else None
    if priority_raw and priority is None:
        raise MalformedRecord(f"unknown priority {priority_raw!r}")
    created_at = parse_time(raw.get("created_at"), "created_at")
    m = metrics or {}
    replies = int(m.get("replies") or 0)
    return Ticket(
        helpdesk=helpdesk,
        id=str(raw["id"]),
        subject=str(raw.get("subject") or raw.get("raw_subject") or ""),
        description=str(raw.get("description") or ""),
        status=status,
        priority=priority,
        tags=frozenset(raw.get("tags") or ()),
        requester=_requester(raw.get("requester_id"), users),
        created_at=created_at,
        updated_at=parse_time(raw.get("updated_at"), "updated_at"),
        channel=str((raw.get("via") or {}).get("channel") or "web"),
        group_id=_optional_id(raw.get("group_id")),
        assignee_id=_optional_id(raw.get("assignee_id")),
        solved_at=_optional_time(m.get("solved_at"), "metric_set.solved_at"),
        first_agent_reply_at=_first_reply(created_at, m) if replies else None,
        last_agent_reply_at=(
            _optional_time(m.get("assignee_updated_at"), "metric_set.assignee_updated_at")
            if replies
            else None
        ),
        last_requester_message_at=_optional_time(
            m.get("requester_updated_at"), "metric_set.requester_updated_at"
        ),
        agent_replies=replies,
        reopens=int(m.get("reopens") or 0),
        group_hops=max(0, int(m.get("group_stations") or 0) - 1),
        assignee_hops=max(0, int(m.get("assignee_stations") or 0) - 1),
        url=f"{base_url.rstrip('/')}/agent/tickets/{raw['id']}",
    )


def _requester(requester_id: Any, users: Mapping[int, Mapping[str, Any]]) -> Requester:
    if requester_id is None:
        raise MalformedRecord("requester_id is missing")
    user = users.get(requester_id) or {}
    return Requester(
        id=str(requester_id),
        name=str(user.get("name") or ""),
        email=user.get("email") or None,
        created_at=_optional_time(user.get("created_at"), "requester.created_at"),
    )


def _first_reply(created_at: datetime, metrics: Mapping[str, Any]) -> datetime | None:
    minutes = (metrics.get("reply_time_in_minutes") or {}).get("calendar")
    if minutes is None:
        return None
    return created_at + timedelta(minutes=int(minutes))
