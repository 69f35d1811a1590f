"""Public agent replies on Freshdesk tickets, counted only where a rule depends on them.

The ticket list carries no reply count, so counting costs a `conversations` request.
Only unsolved tickets with an agent reply where the requester wrote last need one
(`resolve.two_interactions`), and a count stays good until someone writes on the ticket:
it is keyed by the last agent reply and the last requester message, which our own tag
and note writes leave alone. Counts live in memory for a run and in the store's ticket
snapshots between runs, so a second poll in a new process recounts nothing unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from care.domain.model import Ticket
from connectors.base import ConnectorMemory
from connectors.freshdesk import endpoints as ep
from connectors.freshdesk import writes
from connectors.http import HelpdeskHttp

Key = tuple[str, str, str]


def needs_count(t: Ticket) -> bool:
    """Counting replies costs a request: only where resolve.two_interactions depends on it."""
    return not t.status.is_solved and t.first_agent_reply_at is not None and t.requester_wrote_last


class ReplyCounter:
    def __init__(self, http: HelpdeskHttp, helpdesk: str, memory: ConnectorMemory | None) -> None:
        self._http, self._helpdesk, self._memory = http, helpdesk, memory
        self._counted: dict[Key, int] = {}

    def counts(self, tickets: Sequence[Ticket]) -> dict[str, int]:
        """ticket id -> public agent replies, for the tickets that need a count."""
        wanted = {t.id: t for t in tickets if needs_count(t)}
        missing = [t for t in wanted.values() if _key(t) not in self._counted]
        if missing and self._memory is not None:
            self._recall(missing)
        for t in wanted.values():
            if _key(t) not in self._counted:
                conversations = writes.conversations(self._http, t.id)
                self._counted[_key(t)] = sum(1 for c in conversations if _is_agent_reply(c))
        return {ticket_id: self._counted[_key(t)] for ticket_id, t in wanted.items()}

    def _recall(self, tickets: Sequence[Ticket]) -> None:
        assert self._memory is not None
        stored = self._memory.reply_counts(self._helpdesk, [t.id for t in tickets])
        for t in tickets:
            kept = stored.get(t.id)
            if (
                kept is not None
                and not kept.status.is_solved  # a solved ticket's count was never looked up
                and kept.last_agent_reply_at == t.last_agent_reply_at
                and kept.last_requester_message_at == t.last_requester_message_at
            ):
                self._counted[_key(t)] = kept.agent_replies


def _key(t: Ticket) -> Key:
    return (t.id, str(t.last_agent_reply_at), str(t.last_requester_message_at))


def _is_agent_reply(conversation: Any) -> bool:
    return (
        isinstance(conversation, dict)
        and conversation.get("source") == ep.REPLY_SOURCE
        and not conversation.get("incoming")
        and not conversation.get("private")
    )
