"""What the store hands the report: counts per scope (a period, and everything, one
helpdesk, one group or one agent in it) and the outcome counts of the window's solved
tickets. Pure values; the counts themselves are `care.domain.metrics.ScopeCounts`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    ALL = 0
    HELPDESK = 1
    GROUP = 2
    AGENT = 3


@dataclass(frozen=True, slots=True)
class ScopeKey:
    period: int  # care.domain.periods: CURRENT, PREVIOUS, WEEK + k
    level: Level
    helpdesk: str | None = None
    group: str | None = None  # level GROUP: the group id, None for tickets without one
    agent: str | None = None  # level AGENT: the assignee id


# What happened on a ticket, the splits of the outcomes (`OutcomeCounts`).
SPLITS = ("breached", "escalated", "passed_around", "solved_in_two")


@dataclass(frozen=True, slots=True)
class Happened:
    breached: bool
    escalated: bool
    passed_around: bool
    solved_in_two: bool

    def of(self, split: str) -> bool:
        return bool(getattr(self, split))


@dataclass(frozen=True, slots=True)
class OutcomeCounts:
    """Over solved tickets created in the window: their surveys and their requesters."""

    solved: int = 0
    answered: int = 0  # surveys answered
    yes: int = 0  # answered "Yes, solved"
    came_back: int = 0  # the requester opened another ticket within `came_back_days`

    def __add__(self, other: OutcomeCounts) -> OutcomeCounts:
        return OutcomeCounts(
            self.solved + other.solved,
            self.answered + other.answered,
            self.yes + other.yes,
            self.came_back + other.came_back,
        )
