"""The CARE metrics (SPEC §5), computed from per-group counts: pure, no I/O.

The report covers a window [start, end) (by default the 7 days up to now). Ticket
metrics are over the tickets *created* in the window, as their latest snapshot
stands; wait metrics over the waits (`care.domain.waits`) *started* in the window, whenever
their ticket was created; survey metrics over the surveys *sent* in the window. A
ticket counts in the group it is in now (its snapshot's `group_id`; "(no group)" when
it has none), a wait in the group its ticket was in when a poll first saw the wait;
groups are shown by the name the helpdesk gives them when the report flow could read
the names.

Each metric, as "what is counted / out of what":

- first response (median, p90): `first_agent_reply_at − created_at` of each ticket
  answered (with a first agent reply); unanswered tickets are counted apart.
- waits for a first reply, and for a next reply, each with how many breached: a wait
  is breached when a poll found it past the response target (`resolve.response_sla`
  decided a breach; a warning alone does not count). Each wait counts once, however
  many polls saw it; a ticket may have several next-reply waits.
- SLA breach rate: breached waits / waits, first and next replies together.
- escalation rate: tickets with a `resolve.two_interactions` action / tickets.
- solved within 2 interactions: solved or closed tickets with `agent_replies` ≤
  `rules.two_interactions.min_agent_replies` [2] / solved or closed tickets.
- reopen rate: tickets with `reopens` > 0 / tickets.
- passed-around rate: tickets with a `resolve.passed_around` action, or with
  `group_hops` ≥ `min_group_hops` [3] or `assignee_hops` ≥ `min_assignee_hops` [3]
  (so the rate shows even with the rule disabled) / tickets.
- survey response rate: surveys sent in the window that have an answer (by now)
  / surveys sent in the window.
- "solved" rate: answers "solved" / the answers of the response rate.

Percentiles interpolate linearly between the closest ranks (the median of an even
count is the mean of the middle two; p90 of 1..10 is 9.1). A rate with nothing to
count over is `None` ("—"), never NaN.

Bottlenecks: the `top` groups with the longest first-response p90 (groups with an
answered ticket; those with tickets but none answered are listed apart, as their
wait has no p90 yet), and the `top` groups most passed around (highest
passed-around rate, then most hops per ticket; groups with none are not named).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Self, TypeVar

from care.domain.policy import BusinessHours, Policy

NO_GROUP = "(no group)"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The policy numbers some metrics are measured against."""

    interactions: int = 2  # rules.two_interactions.min_agent_replies
    group_hops: int = 3  # rules.passed_around.min_group_hops
    assignee_hops: int = 3  # rules.passed_around.min_assignee_hops
    target_s: float = 24 * 3600  # rules.response_sla.target_hours, in seconds
    targets_by_priority: tuple[tuple[str, float], ...] = ()  # priority -> seconds
    came_back_days: float = 14  # report.came_back_days
    calendar: BusinessHours | None = None  # [business_hours]: waits judged in its hours

    @classmethod
    def from_policy(cls, policy: Policy, came_back_days: float = 14) -> Thresholds:
        rules = policy.rules
        sla = rules.response_sla
        return cls(
            interactions=rules.two_interactions.min_agent_replies,
            group_hops=rules.passed_around.min_group_hops,
            assignee_hops=rules.passed_around.min_assignee_hops,
            target_s=sla.target_hours * 3600,
            targets_by_priority=tuple(
                sorted((p.value, h * 3600) for p, h in sla.targets_by_priority.items())
            ),
            came_back_days=came_back_days,
            calendar=policy.business_hours,
        )


@dataclass(frozen=True, slots=True)
class TicketCounts:
    """Counts over the tickets created in the window (see the module docstring)."""

    tickets: int = 0
    escalated: int = 0
    solved: int = 0
    solved_within: int = 0  # solved with agent_replies ≤ Thresholds.interactions
    reopened: int = 0
    passed_around: int = 0
    hops: int = 0  # group_hops + assignee_hops, summed

    def __add__(self, other: TicketCounts) -> TicketCounts:
        return _add(self, other)


@dataclass(frozen=True, slots=True)
class WaitCounts:
    """Counts over the waits started in the window, first and next replies apart."""

    first_reply: int = 0
    first_reply_breached: int = 0
    next_reply: int = 0
    next_reply_breached: int = 0

    def __add__(self, other: WaitCounts) -> WaitCounts:
        return _add(self, other)


@dataclass(frozen=True, slots=True)
class SurveyCounts:
    """Counts over the surveys sent in the window."""

    sent: int = 0
    answered: int = 0
    solved: int = 0  # answered "solved"

    def __add__(self, other: SurveyCounts) -> SurveyCounts:
        return _add(self, other)


@dataclass(frozen=True, slots=True)
class GroupActivity:
    """What the store found for one group of one helpdesk in the window."""

    helpdesk: str
    group_id: str | None
    tickets: TicketCounts = TicketCounts()
    surveys: SurveyCounts = SurveyCounts()
    first_responses: tuple[float, ...] = ()  # seconds, one per answered ticket
    waits: WaitCounts = WaitCounts()


@dataclass(frozen=True, slots=True)
class Quantiles:
    """First-response times of one scope: how many were answered, median and p90 (s)."""

    answered: int = 0
    p50: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, durations: Iterable[float]) -> Quantiles:
        ordered = sorted(durations)
        return cls(len(ordered), percentile(ordered, 0.5), percentile(ordered, 0.9))


@dataclass(frozen=True, slots=True)
class ScopeCounts:
    """What the store counted for one scope of one period (`care.domain.scopes`)."""

    tickets: TicketCounts = TicketCounts()
    waits: WaitCounts = WaitCounts()
    surveys: SurveyCounts = SurveyCounts()
    first_response: Quantiles = Quantiles()


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    total: int

    @property
    def value(self) -> float | None:
        """count / total; None when there is nothing to count over."""
        return self.count / self.total if self.total else None


@dataclass(frozen=True, slots=True)
class Metrics:
    tickets: int
    answered: int  # tickets with a first agent reply
    first_response_median: float | None  # seconds; None: no ticket answered
    first_response_p90: float | None
    first_reply_breached: Rate  # first-reply waits breached / first-reply waits
    next_reply_breached: Rate  # next-reply waits breached / next-reply waits
    breached: Rate  # breached waits / waits
    escalated: Rate
    solved_within: Rate
    reopened: Rate
    passed_around: Rate
    hops_per_ticket: float | None
    survey_response: Rate
    survey_solved: Rate
    surveys_sent: int

    @classmethod
    def of(cls, counts: ScopeCounts) -> Self:
        tickets, surveys, waits = counts.tickets, counts.surveys, counts.waits
        first = Rate(waits.first_reply_breached, waits.first_reply)
        then = Rate(waits.next_reply_breached, waits.next_reply)
        n = tickets.tickets
        return cls(
            tickets=n,
            answered=counts.first_response.answered,
            first_response_median=counts.first_response.p50,
            first_response_p90=counts.first_response.p90,
            first_reply_breached=first,
            next_reply_breached=then,
            breached=Rate(first.count + then.count, first.total + then.total),
            escalated=Rate(tickets.escalated, n),
            solved_within=Rate(tickets.solved_within, tickets.solved),
            reopened=Rate(tickets.reopened, n),
            passed_around=Rate(tickets.passed_around, n),
            hops_per_ticket=tickets.hops / n if n else None,
            survey_response=Rate(surveys.answered, surveys.sent),
            survey_solved=Rate(surveys.solved, surveys.answered),
            surveys_sent=surveys.sent,
        )


@dataclass(frozen=True, slots=True)
class Scope:
    """Everything (helpdesk None), one helpdesk (group and agent None), one group of a
    helpdesk, or one agent of a helpdesk."""

    helpdesk: str | None
    group: str | None  # the group id, or NO_GROUP
    metrics: Metrics
    group_name: str | None = None  # as the helpdesk names the group, when it could be read
    agent: str | None = None  # the agent (assignee) id
    agent_name: str | None = None

    @property
    def label(self) -> str:
        if self.helpdesk is None:
            return "all helpdesks"
        if self.agent is not None:
            return f"{self.helpdesk} · {self.agent_name or 'agent ' + self.agent}"
        if self.group is None:
            return self.helpdesk
        return f"{self.helpdesk} · {self.group_name or self.group}"


@dataclass(frozen=True, slots=True)
class OutreachFigures:
    """Proactive outreach in the window: product errors customers met, the contacts CARE
    made, and the contacted customers who opened a ticket within the link window anyway."""

    errors: int = 0  # error events received
    customers: int = 0  # distinct customers (e-mail) named by them
    contacted: int = 0  # outreach tickets opened
    wrote_in_anyway: int = 0  # of those, the customers who opened a ticket soon after
    link_days: float = 3  # how soon after counts (`[rules.proactive_outreach] link_days`)

    @property
    def errors_per_customer(self) -> float | None:
        return self.errors / self.customers if self.customers else None

    @property
    def wrote_in_share(self) -> Rate:
        return Rate(self.wrote_in_anyway, self.contacted)

    @property
    def any(self) -> bool:
        return bool(self.errors or self.contacted)


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) of sorted values, interpolating between the closest
    ranks; None for no values."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


Counts = TypeVar("Counts", TicketCounts, SurveyCounts, WaitCounts)


def _add(a: Counts, b: Counts) -> Counts:
    return type(a)(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)})
