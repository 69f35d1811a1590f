"""Freshdesk ticket JSON (with `include=requester,stats`) → the normalized `Ticket`.

One pure function; it never mutates its input. What the list endpoint does not
carry is passed in by the connector:

- account creation time of the requester: from `GET /api/v2/contacts/{id}`, cached;
- public agent replies, reopens, group/agent hops: counted from conversations and
  snapshots only for tickets whose rule outcome depends on them (`Conversations`).

Codes (Freshdesk API v2): status 2 open, 3 pending, 4 resolved, 5 closed, 6+ custom
(as `freshdesk.custom_statuses` says, else open: the agents' move); priority 1 low,
2 medium, 3 high, 4 urgent; source 1 email, 2 portal, 3 phone, 7 chat, 9 feedback
widget, 10 outbound email.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from care.domain.model import Priority, Requester, Status, Ticket
from care.domain.text import MAX_DESCRIPTION
from connectors import fields
from connectors.errors import MalformedRecord
from connectors.timestamps import parse_time

# A closed (5) ticket still takes notes and field changes in Freshdesk: only archiving,
# of tickets closed and untouched for 120 days, makes one read-only, and archived tickets
# leave the ticket list. So a mapped ticket is never `read_only` here:
# https://partnersupport.freshworks.com/en/support/solutions/articles/212901-ticket-archiving
STATUSES = {2: Status.OPEN, 3: Status.PENDING, 4: Status.SOLVED, 5: Status.CLOSED}
PRIORITIES = {1: Priority.LOW, 2: Priority.NORMAL, 3: Priority.HIGH, 4: Priority.URGENT}
SOURCES = {1: "email", 2: "web", 3: "phone", 7: "chat", 9: "web_widget", 10: "email"}


@dataclass(frozen=True, slots=True)
class Conversations:
    """What a ticket's conversations told us (or the store remembered of them)."""

    agent_replies: int = 0
    reopens: int = 0
    group_hops: int = 0
    assignee_hops: int = 0


def to_ticket(
    raw: Mapping[str, Any],
    *,
    helpdesk: str,
    base_url: str,
    requester_created_at: datetime | None = None,
    conversations: Conversations | None = None,
    custom_statuses: Mapping[int, Status] | None = None,
) -> Ticket:
    """Map one ticket of `GET /api/v2/tickets`; raises MalformedRecord with the reason.

    Every text comes out cleaned (`care.domain.text`); the description is cut to
    `MAX_DESCRIPTION` characters, all the rules and templates read of it.
    """
    ticket_id = raw.get("id")
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
        raise MalformedRecord(f"id is {ticket_id!r:.60}, not an integer")
    status_code = raw.get("status")
    if not isinstance(status_code, int) or isinstance(status_code, bool) or status_code < 2:
        raise MalformedRecord(f"unknown status {status_code!r:.60}")
    priority = fields.choice(raw.get("priority"), "priority", PRIORITIES)
    stats = fields.obj(raw.get("stats"), "stats")
    counted = conversations or Conversations()
    created_at = parse_time(raw.get("created_at"), "created_at")
    first_reply = _time(stats, "first_responded_at")
    description = raw.get("description_text") or raw.get("description")
    source = raw.get("source")
    return Ticket(
        helpdesk=helpdesk,
        id=str(ticket_id),
        subject=fields.line(raw.get("subject"), "subject"),
        description=fields.text(description, "description", MAX_DESCRIPTION),
        status=STATUSES.get(status_code) or (custom_statuses or {}).get(status_code, Status.OPEN),
        priority=priority,
        tags=fields.tags(raw.get("tags")),
        requester=_requester(raw, requester_created_at),
        created_at=created_at,
        updated_at=parse_time(raw.get("updated_at"), "updated_at"),
        # An unknown or odd source is a channel we have no name for, as for new codes.
        channel=SOURCES.get(source, "web") if isinstance(source, int) else "web",
        group_id=fields.ident(raw.get("group_id"), "group_id"),
        assignee_id=fields.ident(raw.get("responder_id"), "responder_id"),
        solved_at=_time(stats, "resolved_at") or _time(stats, "closed_at"),
        first_agent_reply_at=first_reply,
        last_agent_reply_at=_time(stats, "agent_responded_at") or first_reply,
        last_requester_message_at=_time(stats, "requester_responded_at") or created_at,
        agent_replies=max(counted.agent_replies, 1 if first_reply else 0),
        reopens=counted.reopens,
        group_hops=counted.group_hops,
        assignee_hops=counted.assignee_hops,
        url=f"{base_url.rstrip('/')}/a/tickets/{ticket_id}",
    )


def _requester(raw: Mapping[str, Any], created_at: datetime | None) -> Requester:
    requester_id = raw.get("requester_id")
    if requester_id is None:
        raise MalformedRecord("requester_id is missing")
    ident = fields.ident(requester_id, "requester_id")
    embedded = fields.obj(raw.get("requester"), "requester")
    return Requester(
        id=str(ident),
        name=fields.line(embedded.get("name"), "requester.name"),
        email=fields.email(embedded.get("email"), "requester.email"),
        created_at=created_at,
    )


def _time(stats: Mapping[str, Any], field: str) -> datetime | None:
    value = stats.get(field)
    return None if value in (None, "") else parse_time(value, f"stats.{field}")
