"""What the poll tasks share during one flow run: store, connector, policy, renderers."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from care.domain.faq import FaqIndex
from care.domain.notes import NoteRenderer
from care.domain.policy import Policy
from care.settings.load import AlertSettings
from care.store import Store
from connectors.base import Change, Helpdesk, Jobs


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PollContext:
    helpdesk: Helpdesk
    store: Store
    policy: Policy
    faq: FaqIndex
    notes: NoteRenderer
    clock: Callable[[], datetime] = utc_now
    alerts: AlertSettings = field(default_factory=AlertSettings)  # tasks/alerts.py
    claim_token: str = field(default_factory=lambda: uuid.uuid4().hex)
    unsent: list[Change] = field(default_factory=list)  # claimed, held for a fuller bulk call
    outstanding: Jobs = field(default_factory=dict)  # write jobs submitted, not yet settled
    members: dict[int, list[int]] = field(default_factory=dict)  # change ref -> action ids
    last_flush: datetime = field(default_factory=utc_now)

    def action_ids(self, refs: Iterable[int]) -> list[int]:
        """The action log rows behind changes (`tasks.changes.merge`)."""
        return [i for ref in refs for i in self.members.get(ref, (ref,))]

    def action_jobs(self, jobs: Jobs) -> Jobs:
        """`jobs` with each change ref replaced by the action ids it carries."""
        return {
            job_id: {t: self.action_ids(refs) for t, refs in by_ticket.items()}
            for job_id, by_ticket in jobs.items()
        }
