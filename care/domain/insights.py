"""What a support lead reads first, from a `Report`: where each key figure is heading
(direction), who sits far from the team (consistency), what the tickets' outcomes say
about each CARE rule (outcomes), and the three biggest problems of the window, one line
each (bottlenecks). Pure functions of the report.

- Direction: the window beside the window before (same length). A change smaller than
  5 % of a duration or 1 point of a share reads "≈ same".
- Consistency: an agent (or group) is far from the team when, with at least
  `min_tickets` behind the figure, a duration is 1.5× the team's or more (or ⅔ or
  less), or a share is 15 points or more away. Fewer: a small sample, listed, not ranked.
- Outcomes: over the window's solved tickets, split by what happened on each (breached
  or not, escalated or not, passed around or not, solved within the interactions or
  not): the "Yes, solved" share of their surveys and the share whose requester opened
  another ticket within `came_back_days` of the solve.
- Bottlenecks: per group, each figure that got worse against the window before, scored
  by how many more tickets (waits, answers) it touched at the new rate than it would
  have at the old one — for a time, the tickets the percentile speaks for (half of them
  for the median, a tenth for p90) times how much of a target later they were, at most
  one; then, to fill three lines, the slowest first replies against the target and the
  groups nobody answered. One line per group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from care.domain.figures import KEY_FIGURES, Figure
from care.domain.metrics import Rate
from care.domain.report import Report, Scope
from care.domain.scopes import SPLITS, OutcomeCounts
from care.domain.wording import duration

FAR_RATIO, FAR_POINTS = 1.5, 0.15
# The share of the answered tickets a time percentile speaks for: a slower median is half
# of them later, a slower p90 the slowest tenth.
_TICKETS_BEHIND = {"first_reply_p50": 0.5, "first_reply_p90": 0.1}


@dataclass(frozen=True, slots=True)
class Change:
    figure: Figure
    before: float | None
    after: float | None
    before_basis: int
    after_basis: int

    @property
    def verdict(self) -> str:
        """better, worse, same, or "—" when either side has nothing to count."""
        if self.before is None or self.after is None:
            return "—"
        better = self.figure.is_better(self.before, self.after)
        return "same" if better is None else "better" if better else "worse"


def direction(report: Report) -> tuple[Change, ...]:
    """Each key figure, the window before → the window."""
    before = report.previous.metrics if report.previous else None
    after = report.overall.metrics
    return tuple(
        Change(
            f,
            f.value(before) if before else None,
            f.value(after),
            f.basis(before) if before else 0,
            f.basis(after),
        )
        for f in KEY_FIGURES
    )


@dataclass(frozen=True, slots=True)
class Outlier:
    scope: Scope
    value: float
    team: float


@dataclass(frozen=True, slots=True)
class Spread:
    figure: Figure
    team: float | None
    far: tuple[Outlier, ...]  # farthest first
    ranked: tuple[tuple[Scope, float], ...]  # enough tickets: best first
    few: tuple[Scope, ...]  # too few to rank


def spread(report: Report, scopes: Iterable[Scope], figure: Figure) -> Spread:
    team = figure.value(report.overall.metrics)
    ranked, few = [], []
    for scope in scopes:
        value = figure.value(scope.metrics)
        if value is None:
            continue
        if figure.basis(scope.metrics) < report.min_tickets:
            few.append(scope)
        else:
            ranked.append((scope, value))
    ranked.sort(key=lambda sv: (sv[1] if figure.better == "lower" else -sv[1], sv[0].label))
    far = [Outlier(s, v, team) for s, v in ranked if team is not None and _far(figure, v, team)]
    far.sort(key=lambda o: -_distance(figure, o.value, o.team))
    return Spread(figure, team, tuple(far), tuple(ranked), tuple(few))


def _far(figure: Figure, value: float, team: float) -> bool:
    if figure.unit == "share":
        return abs(value - team) >= FAR_POINTS
    if team <= 0:
        return value > 0
    return value >= team * FAR_RATIO or value <= team / FAR_RATIO


def _distance(figure: Figure, value: float, team: float) -> float:
    if figure.unit == "share":
        return abs(value - team)
    low, high = sorted((max(value, 1.0), max(team, 1.0)))
    return high / low


@dataclass(frozen=True, slots=True)
class OutcomeSplit:
    split: str  # care.domain.scopes.SPLITS
    yes: OutcomeCounts  # tickets where it happened
    no: OutcomeCounts


SPLIT_WORDS = {
    "breached": ("SLA breached", "not breached"),
    "escalated": ("escalated", "not escalated"),
    "passed_around": ("passed around", "not passed around"),
    "solved_in_two": ("solved within {n} interactions", "took more interactions"),
}


def outcome_splits(report: Report) -> tuple[OutcomeSplit, ...]:
    splits = []
    for split in SPLITS:
        yes, no = OutcomeCounts(), OutcomeCounts()
        for happened, counts in report.outcomes:
            if happened.of(split):
                yes += counts
            else:
                no += counts
        splits.append(OutcomeSplit(split, yes, no))
    return tuple(splits)


def outcome_total(report: Report) -> OutcomeCounts:
    total = OutcomeCounts()
    for _, counts in report.outcomes:
        total += counts
    return total


def yes_share(c: OutcomeCounts) -> Rate:
    return Rate(c.yes, c.answered)


def came_back_share(c: OutcomeCounts) -> Rate:
    return Rate(c.came_back, c.solved)


@dataclass(frozen=True, slots=True)
class Bottleneck:
    scope: Scope
    line: str
    score: float


def bottlenecks(report: Report, top: int = 3) -> tuple[Bottleneck, ...]:
    found = sorted(_worsened(report), key=lambda b: (-b.score, b.line))
    lines: list[Bottleneck] = []
    seen: set[str] = set()
    for b in [*found, *_standing(report)]:
        if b.scope.label not in seen and len(lines) < top:
            lines.append(b)
            seen.add(b.scope.label)
    return tuple(lines)


def _worsened(report: Report) -> Iterable[Bottleneck]:
    t = report.thresholds
    for group in report.groups:
        before = report.previous_of(group)
        if before is None:
            continue
        for f in KEY_FIGURES:
            old, new = f.value(before.metrics), f.value(group.metrics)
            basis = f.basis(group.metrics)
            if old is None or new is None or basis < report.min_tickets:
                continue
            if f.is_better(old, new) is not False:
                continue
            if f.unit == "share":
                score = abs(new - old) * basis
                was, now = f.count(before.metrics), f.count(group.metrics)
                what = f.short.format(interactions=t.interactions)
                how = _how(f, was, now)
                line = (
                    f"{group.label}: {what} {how} {_against(report)} "
                    f"({was} → {now}; {_pct(old)} → {_pct(new)})"
                )
            else:
                late = min(abs(new - old) / t.target_s, 1.0)
                score = late * basis * _TICKETS_BEHIND.get(f.key, 0.5)
                line = (
                    f"{group.label}: {f.short} rose from {duration(old)} to "
                    f"{duration(new)} {_against(report)}"
                )
            yield Bottleneck(group, line, score)


def _standing(report: Report) -> Iterable[Bottleneck]:
    t = report.thresholds
    for g in report.longest_waits:
        p90 = g.metrics.first_response_p90 or 0.0
        if p90 > t.target_s:
            times = p90 / t.target_s
            yield Bottleneck(
                g,
                f"{g.label}: first reply p90 {duration(p90)}, {times:.1f}× the "
                f"{duration(t.target_s)} target",
                times,
            )
    for g in report.never_answered:
        yield Bottleneck(g, f"{g.label}: none of its {g.metrics.tickets} tickets answered", 0)


def _against(report: Report) -> str:
    days = round(report.days)
    return "week on week" if days == 7 else f"against the {days} days before"


def _how(figure: Figure, was: int, now: int) -> str:
    """How a share's numerator moved: more of a bad thing, or less of a good one."""
    if figure.better == "higher":
        return "halved" if now * 2 <= was else "fell"
    if was and now >= 4 * was:
        return f"rose {now / was:.0f}-fold"
    if was and now >= 3 * was:
        return "tripled"
    if was and now >= 2 * was:
        return "doubled"
    return "rose"


def _pct(value: float) -> str:
    return f"{value:.0%}".replace("%", " %")
