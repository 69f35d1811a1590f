"""Builders for rule tests: a quiet ticket with sane defaults, a policy, and a frozen NOW.

The default ticket is an open, normal-priority web ticket opened an hour ago that
an agent already answered: most rules stay silent on it, so each test switches
on exactly what it is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from care.domain.model import Priority, Requester, Status, Ticket
from care.domain.policy import BusinessHours, Policy, Rules

NOW = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)  # a Wednesday
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def requester(**overrides: Any) -> Requester:
    fields: dict[str, Any] = {
        "id": "501",
        "name": "Ana Lima",
        "email": "ana@example.com",
        "created_at": NOW - 100 * DAY,
    }
    fields.update(overrides)
    return Requester(**fields)


def ticket(**overrides: Any) -> Ticket:
    """A ticket; `tags` may be any iterable, `requester` a Requester or a dict of overrides."""
    fields: dict[str, Any] = {
        "helpdesk": "zendesk",
        "id": "1001",
        "subject": "Question about our dashboard",
        "description": "The chart on the dashboard looks different since yesterday.",
        "status": Status.OPEN,
        "priority": Priority.NORMAL,
        "tags": frozenset(),
        "requester": requester(),
        "created_at": NOW - HOUR,
        "updated_at": NOW - timedelta(minutes=10),
        "first_agent_reply_at": NOW - timedelta(minutes=30),
        "last_agent_reply_at": NOW - timedelta(minutes=30),
        "last_requester_message_at": NOW - HOUR,
        "agent_replies": 1,
    }
    fields.update(overrides)
    if isinstance(fields["requester"], dict):
        fields["requester"] = requester(**fields["requester"])
    fields["tags"] = frozenset(_iterable(fields["tags"]))
    return Ticket(**fields)


def unanswered(age: timedelta, **overrides: Any) -> Ticket:
    """A ticket opened `age` before NOW that no agent has answered yet."""
    fields: dict[str, Any] = {
        "created_at": NOW - age,
        "first_agent_reply_at": None,
        "last_agent_reply_at": None,
        "last_requester_message_at": NOW - age,
        "agent_replies": 0,
    }
    fields.update(overrides)
    return ticket(**fields)


def policy(*, business_hours: BusinessHours | dict[str, Any] | None = None, **rules: Any) -> Policy:
    """The default policy with `[rules]` sections overridden: policy(faq={"min_score": 1})."""
    hours = BusinessHours(**business_hours) if isinstance(business_hours, dict) else business_hours
    return Policy(rules=Rules(**rules), business_hours=hours)


def _iterable(tags: Iterable[str] | str) -> Iterable[str]:
    return [tags] if isinstance(tags, str) else tags
