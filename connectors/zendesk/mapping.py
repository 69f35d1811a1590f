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

from care.domain.model import Priority, Requester, Status, Ticket
from care.domain.text import MAX_DESCRIPTION
from connectors import fields
from connectors.errors import MalformedRecord
from connectors.timestamps import parse_time

_STATUSES = {s.value: s for s in Status}
_PRIORITIES = {p.value: p for p in Priority}


def _optional_time(value: Any, field: str) -> datetime | None:
    return None if value in (None, "") else parse_time(value, field)


def to_ticket(
    raw: Mapping[str, Any],
    users: Mapping[int, Any],
    metrics: Any,
    *,
    helpdesk: str,
    base_url: str,
) -> Ticket:
    """Map one ticket of the incremental export; raises MalformedRecord with the reason.

    Every text comes out cleaned (`care.domain.text`); the description is cut to
    `MAX_DESCRIPTION` characters, all the rules and templates read of it.
    """
    if not isinstance(raw.get("id"), int) or isinstance(raw.get("id"), bool):
        raise MalformedRecord(f"id is {raw.get('id')!r:.60}, not an integer")
    status = fields.choice(raw.get("status"), "status", _STATUSES)
    if status is None:
        raise MalformedRecord(f"unknown status {raw.get('status')!r:.60}")
    priority = fields.choice(raw.get("priority") or None, "priority", _PRIORITIES)
    created_at = parse_time(raw.get("created_at"), "created_at")
    m = fields.obj(metrics, "metric_set")
    replies = fields.count(m.get("replies"), "metric_set.replies")
    subject = raw.get("subject") or raw.get("raw_subject")
    via = fields.obj(raw.get("via"), "via")
    return Ticket(
        helpdesk=helpdesk,
        id=str(raw["id"]),
        subject=fields.line(subject, "subject"),
        description=fields.text(raw.get("description"), "description", MAX_DESCRIPTION),
        status=status,
        priority=priority,
        tags=fields.tags(raw.get("tags")),
        requester=_requester(raw.get("requester_id"), users),
        created_at=created_at,
        updated_at=parse_time(raw.get("updated_at"), "updated_at"),
        channel=fields.line(via.get("channel"), "via.channel") or "web",
        group_id=fields.ident(raw.get("group_id"), "group_id"),
        assignee_id=fields.ident(raw.get("assignee_id"), "assignee_id"),
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
        reopens=fields.count(m.get("reopens"), "metric_set.reopens"),
        group_hops=max(0, fields.count(m.get("group_stations"), "metric_set.group_stations") - 1),
        assignee_hops=max(
            0, fields.count(m.get("assignee_stations"), "metric_set.assignee_stations") - 1
        ),
        url=f"{base_url.rstrip('/')}/agent/tickets/{raw['id']}",
        # Zendesk locks a closed ticket: every update answers 422 "Status: closed prevents
        # ticket update" (RecordInvalid, as client libraries handle it; the sandbox too).
        read_only=status is Status.CLOSED,
    )


def _requester(requester_id: Any, users: Mapping[int, Any]) -> Requester:
    if requester_id is None:
        raise MalformedRecord("requester_id is missing")
    ident = fields.ident(requester_id, "requester_id")
    user = fields.obj(users.get(requester_id), "requester")
    return Requester(
        id=str(ident),
        name=fields.line(user.get("name"), "requester.name"),
        email=fields.email(user.get("email"), "requester.email"),
        created_at=_optional_time(user.get("created_at"), "requester.created_at"),
    )


def _first_reply(created_at: datetime, metrics: Mapping[str, Any]) -> datetime | None:
    field = "metric_set.reply_time_in_minutes"
    minutes = fields.obj(metrics.get("reply_time_in_minutes"), field).get("calendar")
    if minutes is None:
        return None
    try:
        return created_at + timedelta(minutes=fields.count(minutes, f"{field}.calendar"))
    except OverflowError:
        raise MalformedRecord(f"{field}.calendar is {minutes!r:.60}, past any date") from None
