"""The CARE report as values: the window's figures per helpdesk, group and agent, the
window before it, the trend's weeks and the outcomes of the window's solved tickets.
Built from the store's counts per scope (`report_from_scopes`); what each figure counts
is in `care.domain.figures`, direction, consistency, outcomes and bottlenecks are read
from a `Report` by their own modules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from care.domain.metrics import (
    NO_GROUP,
    GroupActivity,
    Metrics,
    OutreachFigures,
    Quantiles,
    ScopeCounts,
    SurveyCounts,
    Thresholds,
    TicketCounts,
    WaitCounts,
)
from care.domain.metrics import Scope as Scope
from care.domain.periods import CURRENT, PREVIOUS, Period
from care.domain.retention import RetentionFigures
from care.domain.scopes import Happened, Level, OutcomeCounts, ScopeKey

Names = Mapping[tuple[str, str], str]  # (helpdesk, id) -> name


@dataclass(frozen=True, slots=True)
class HelpdeskReport:
    total: Scope
    groups: tuple[Scope, ...]  # by group id


@dataclass(frozen=True, slots=True)
class Week:
    start: datetime
    end: datetime
    metrics: Metrics


@dataclass(frozen=True, slots=True)
class Report:
    start: datetime
    end: datetime
    thresholds: Thresholds
    overall: Scope
    helpdesks: tuple[HelpdeskReport, ...] = ()
    longest_waits: tuple[Scope, ...] = ()  # groups, longest first-response p90 first
    most_passed_around: tuple[Scope, ...] = ()
    never_answered: tuple[Scope, ...] = ()  # groups with tickets and no first reply at all
    outreach: OutreachFigures = field(default_factory=OutreachFigures)
    previous: Scope | None = None  # everything, in the window before (same length)
    previous_groups: tuple[Scope, ...] = ()
    weeks: tuple[Week, ...] = ()  # the trend, oldest first
    agents: tuple[Scope, ...] = ()  # per helpdesk and assignee
    outcomes: tuple[tuple[Happened, OutcomeCounts], ...] = ()
    min_tickets: int = 10  # fewer than this: labelled a small sample, never ranked
    retention: RetentionFigures | None = None  # with a retention history configured
    retention_error: str | None = None  # the history could not be read: why

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    @property
    def groups(self) -> tuple[Scope, ...]:
        return tuple(g for h in self.helpdesks for g in h.groups)

    @property
    def no_tickets(self) -> bool:
        return self.overall.metrics.tickets == 0

    def previous_of(self, scope: Scope) -> Scope | None:
        """The same scope in the window before, when it had anything."""
        if scope.helpdesk is None:
            return self.previous
        for before in self.previous_groups:
            if (before.helpdesk, before.group) == (scope.helpdesk, scope.group):
                return before
        return None


def report_from_scopes(
    scopes: Mapping[ScopeKey, ScopeCounts],
    start: datetime,
    end: datetime,
    thresholds: Thresholds = Thresholds(),
    *,
    trend: Sequence[Period] = (),
    top: int = 3,
    group_names: Names | None = None,
    agent_names: Names | None = None,
    outreach: OutreachFigures = OutreachFigures(),
    outcomes: Mapping[Happened, OutcomeCounts] | None = None,
    min_tickets: int = 10,
) -> Report:
    """The report from the store's counts (`Store.report_scopes`)."""
    groups_ = group_names or {}
    current = {k: v for k, v in scopes.items() if k.period == CURRENT}
    helpdesks = tuple(
        HelpdeskReport(
            total=Scope(key.helpdesk, None, Metrics.of(counts)),
            groups=_groups(current, key.helpdesk, groups_),
        )
        for key, counts in sorted(current.items(), key=lambda i: i[0].helpdesk or "")
        if key.level == Level.HELPDESK and key.helpdesk is not None
    )
    groups = [g for h in helpdesks for g in h.groups]
    previous = scopes.get(ScopeKey(PREVIOUS, Level.ALL))
    return Report(
        start=start,
        end=end,
        thresholds=thresholds,
        overall=Scope(None, None, Metrics.of(current.get(ScopeKey(CURRENT, Level.ALL), _NONE))),
        helpdesks=helpdesks,
        longest_waits=longest_waits(groups, top),
        most_passed_around=most_passed_around(groups, top),
        never_answered=tuple(g for g in groups if g.metrics.tickets and not g.metrics.answered),
        outreach=outreach,
        previous=Scope(None, None, Metrics.of(previous)) if previous else None,
        previous_groups=tuple(
            _group_scope(k, v, groups_)
            for k, v in scopes.items()
            if k.period == PREVIOUS and k.level == Level.GROUP
        ),
        weeks=tuple(
            Week(p.start, p.end, Metrics.of(scopes.get(ScopeKey(p.code, Level.ALL), _NONE)))
            for p in trend
        ),
        agents=_agents(current, agent_names or {}),
        outcomes=tuple(sorted((outcomes or {}).items(), key=lambda i: _flags(i[0]))),
        min_tickets=min_tickets,
    )


def build_report(
    activity: Iterable[GroupActivity],
    start: datetime,
    end: datetime,
    thresholds: Thresholds = Thresholds(),
    top: int = 3,
    group_names: Names | None = None,
    outreach: OutreachFigures = OutreachFigures(),
) -> Report:
    """The window's report from per-group activity with every first-response time (the
    percentiles computed here): for tests and small histories built by hand."""
    scopes: dict[ScopeKey, list[GroupActivity]] = {}
    for item in activity:
        for key in (
            ScopeKey(CURRENT, Level.ALL),
            ScopeKey(CURRENT, Level.HELPDESK, item.helpdesk),
            ScopeKey(CURRENT, Level.GROUP, item.helpdesk, item.group_id),
        ):
            scopes.setdefault(key, []).append(item)
    counts = {key: _combined(items) for key, items in scopes.items()}
    return report_from_scopes(
        counts, start, end, thresholds, top=top, group_names=group_names, outreach=outreach
    )


def longest_waits(groups: Iterable[Scope], top: int) -> tuple[Scope, ...]:
    answered = [g for g in groups if g.metrics.first_response_p90 is not None]
    answered.sort(key=lambda g: (-(g.metrics.first_response_p90 or 0.0), g.label))
    return tuple(answered[:top])


def most_passed_around(groups: Iterable[Scope], top: int) -> tuple[Scope, ...]:
    hit = [g for g in groups if g.metrics.passed_around.count > 0]
    hit.sort(
        key=lambda g: (
            -(g.metrics.passed_around.value or 0.0),
            -(g.metrics.hops_per_ticket or 0.0),
            g.label,
        )
    )
    return tuple(hit[:top])


_NONE = ScopeCounts()


def _groups(current: Mapping[ScopeKey, ScopeCounts], helpdesk: str, names: Names) -> tuple:
    found = [
        _group_scope(k, v, names)
        for k, v in current.items()
        if k.level == Level.GROUP and k.helpdesk == helpdesk
    ]
    return tuple(
        sorted(found, key=lambda s: _group_order(None if s.group == NO_GROUP else s.group))
    )


def _group_scope(key: ScopeKey, counts: ScopeCounts, names: Names) -> Scope:
    assert key.helpdesk is not None
    name = names.get((key.helpdesk, key.group)) if key.group else None
    return Scope(key.helpdesk, key.group or NO_GROUP, Metrics.of(counts), name)


def _agents(current: Mapping[ScopeKey, ScopeCounts], names: Names) -> tuple[Scope, ...]:
    agents = [
        Scope(
            k.helpdesk,
            None,
            Metrics.of(v),
            agent=k.agent,
            agent_name=names.get((k.helpdesk or "", k.agent or "")),
        )
        for k, v in current.items()
        if k.level == Level.AGENT
    ]
    return tuple(sorted(agents, key=lambda s: (s.helpdesk or "", s.label)))


def _flags(happened: Happened) -> tuple[bool, ...]:
    return (happened.breached, happened.escalated, happened.passed_around, happened.solved_in_two)


def _combined(items: Sequence[GroupActivity]) -> ScopeCounts:
    return ScopeCounts(
        tickets=sum((g.tickets for g in items), TicketCounts()),
        waits=sum((g.waits for g in items), WaitCounts()),
        surveys=sum((g.surveys for g in items), SurveyCounts()),
        first_response=Quantiles.of(d for g in items for d in g.first_responses),
    )


def _group_order(group_id: str | None) -> tuple[int, int, str]:
    """Numeric ids in numeric order, then other ids, then no group."""
    if group_id is None:
        return (2, 0, "")
    numeric = group_id.isascii() and group_id.isdecimal()
    return (0, int(group_id), "") if numeric else (1, 0, group_id)
