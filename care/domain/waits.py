"""Waits: the spans the response SLA times (SPEC §2, `resolve.response_sla`).

A wait starts when the requester writes on an unsolved ticket and no agent has publicly
answered since: the first message (a wait for the first reply), or any message after the
last public agent reply (a wait for a next reply; a follow-up "any news?" does not start
a new one). It ends at the next public agent reply, or when the ticket goes pending, on
hold, solved or closed. The target applies to every wait.

Pure: a function of the normalized ticket, which carries `waiting_since` from the
previous poll (`care.domain.model.waiting_since`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from care.domain.model import Ticket


class WaitKind(StrEnum):
    FIRST_REPLY = "first_reply"
    NEXT_REPLY = "next_reply"

    @property
    def awaiting(self) -> str:
        """What the requester waits for, as a note says it."""
        if self is WaitKind.FIRST_REPLY:
            return "a first agent reply"
        return "a reply to their latest message"


@dataclass(frozen=True, slots=True)
class Wait:
    started_at: datetime
    kind: WaitKind

    @property
    def key(self) -> str:
        """Names this wait among the ticket's waits: its start (`moment_key`)."""
        return moment_key(self.started_at)


def moment_key(moment: datetime) -> str:
    """A moment as a decision key names it: to the second, in UTC (20261206T091500Z)."""
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def current_wait(t: Ticket) -> Wait | None:
    """The wait running now on `t`, or None (the agent spoke last, or the ticket is
    pending, on hold, solved or closed)."""
    if not t.status.awaits_agent:
        return None
    if t.first_agent_reply_at is None and t.agent_replies == 0:
        return Wait(t.created_at, WaitKind.FIRST_REPLY)
    if t.last_requester_message_at is not None and t.requester_wrote_last:
        return Wait(t.waiting_since or t.last_requester_message_at, WaitKind.NEXT_REPLY)
    return None
