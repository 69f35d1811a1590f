"""The normalized ticket: what every rule sees, whichever helpdesk it came from.

Connectors map their vendor JSON onto these types in one pure function each
(`connectors.zendesk.mapping.to_ticket`); nothing here knows a vendor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"

    @property
    def is_solved(self) -> bool:
        return self in (Status.SOLVED, Status.CLOSED)

    @property
    def awaits_agent(self) -> bool:
        """New and open tickets are the agents' move; pending/hold wait on someone else."""
        return self in (Status.NEW, Status.OPEN)


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.LOW: 0, Priority.NORMAL: 1, Priority.HIGH: 2, Priority.URGENT: 3}


@dataclass(frozen=True, slots=True)
class Requester:
    id: str
    name: str
    email: str | None = None
    created_at: datetime | None = None  # account creation: tenure and loyalty

    @property
    def first_name(self) -> str:
        parts = self.name.strip().split()
        return parts[0] if parts else ""


@dataclass(frozen=True, slots=True)
class ProactiveContact:
    """A ticket `assist.proactive_outreach` opened for a customer about a product error."""

    helpdesk: str
    ticket_id: str
    opened_at: datetime
    subject: str


@dataclass(frozen=True, slots=True)
class Ticket:
    """One helpdesk ticket, normalized. All datetimes are timezone-aware UTC."""

    helpdesk: str  # the configured helpdesk name, e.g. "zendesk"
    id: str  # the vendor's ticket id, as text
    subject: str
    description: str
    status: Status
    priority: Priority | None
    tags: frozenset[str]
    requester: Requester
    created_at: datetime
    updated_at: datetime
    channel: str = "web"  # email, web, api, chat, phone, error_page…
    group_id: str | None = None
    assignee_id: str | None = None
    solved_at: datetime | None = None
    first_agent_reply_at: datetime | None = None
    last_agent_reply_at: datetime | None = None
    last_requester_message_at: datetime | None = None
    agent_replies: int = 0  # public agent replies
    reopens: int = 0
    group_hops: int = 0  # times the ticket moved from one group to another
    assignee_hops: int = 0  # times it moved from one assignee to another
    url: str | None = None  # the agent-facing link, for notes and alerts
    # The helpdesk refuses every change to it: a closed Zendesk ticket. A closed Freshdesk
    # ticket still takes notes and fields (only archived ones are read-only).
    read_only: bool = False
    # Context the flow adds from the store (the rules stay pure):
    requester_ticket_times: tuple[datetime, ...] = field(default=())
    """Creation times of the requester's other tickets known to the store, opened within
    the repeat-contact window before this one (the flow passes no more than the rule counts)."""
    waiting_since: datetime | None = None
    """When the requester's current unanswered wait began, as first seen by an earlier poll
    (a follow-up "any news?" must not restart the SLA clock). None: not known."""
    proactive_contact: ProactiveContact | None = None
    """The ticket CARE's outreach opened for this requester shortly before this one, if
    any (the flow passes only one opened within the rule's link window)."""

    @property
    def key(self) -> str:
        return f"{self.helpdesk}:{self.id}"

    @property
    def requester_wrote_last(self) -> bool:
        """The requester wrote after the last public agent reply (or no agent replied yet)."""
        if self.last_requester_message_at is None:
            return self.last_agent_reply_at is None
        if self.last_agent_reply_at is None:
            return True
        return self.last_requester_message_at > self.last_agent_reply_at


@dataclass(frozen=True, slots=True)
class Previous:
    """What the store kept of a ticket at the previous poll."""

    last_agent_reply_at: datetime | None = None
    waiting_since: datetime | None = None
    group_id: str | None = None
    assignee_id: str | None = None
    group_hops: int = 0
    assignee_hops: int = 0


@dataclass(frozen=True, slots=True)
class CountedReplies:
    """A reply count a connector paid a request for, and the messages it counted up to."""

    last_agent_reply_at: datetime | None
    last_requester_message_at: datetime | None
    agent_replies: int
    status: Status  # a solved ticket's count was not looked up: it is only a floor


def waiting_since(t: Ticket, previous: Previous | None) -> datetime | None:
    """The start of the requester's unanswered wait after an agent reply, given what the
    previous poll stored.

    None while no agent has replied (the wait then runs from creation), the agent spoke
    last, or the ticket is pending, on hold or solved (that ends the wait: the requester
    writing again starts a new one). The earlier start is kept for as long as no agent
    has replied since.
    """
    if t.agent_replies == 0 or t.last_requester_message_at is None or not t.requester_wrote_last:
        return None
    if not t.status.awaits_agent:
        return None
    if (
        previous is not None
        and previous.waiting_since is not None
        and previous.last_agent_reply_at == t.last_agent_reply_at
    ):
        return min(previous.waiting_since, t.last_requester_message_at)
    return t.last_requester_message_at


def tracked_hops(t: Ticket, previous: Previous | None) -> tuple[int, int]:
    """Group and assignee hops, counting the moves seen between polls for helpdesks that do
    not count them (a first assignment is not a hop); never fewer than the helpdesk says."""
    if previous is None:
        return t.group_hops, t.assignee_hops
    group = previous.group_hops + _moved(previous.group_id, t.group_id)
    assignee = previous.assignee_hops + _moved(previous.assignee_id, t.assignee_id)
    return max(t.group_hops, group), max(t.assignee_hops, assignee)


def _moved(before: str | None, now: str | None) -> int:
    return int(before is not None and now is not None and before != now)
