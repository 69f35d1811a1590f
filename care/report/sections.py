"""The report's sections as rows of text, the same for the page, the artifact and the
terminal: direction, trend, consistency, outcomes, the compact group table and the
definitions. Each renderer only lays them out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from care.domain.figures import (
    ESCALATED,
    FIRST_REPLY_P90,
    KEY_FIGURES,
    SOLVED_IN_TWO,
    SURVEY_YES,
    Figure,
    label,
)
from care.domain.insights import (
    SPLIT_WORDS,
    came_back_share,
    direction,
    outcome_splits,
    outcome_total,
    spread,
    yes_share,
)
from care.domain.metrics import Metrics, Thresholds
from care.domain.report import Report, Scope
from care.domain.retention import GroupFigures
from care.domain.scopes import OutcomeCounts
from care.domain.wording import duration
from care.report import charts
from care.report import format as fmt

VERDICT_WORDS = {"better": "▲ better", "worse": "▼ worse", "same": "≈ same", "—": "—"}
# The few figures that fit a phone's width, for the tables of groups and agents.
COMPACT = (
    (FIRST_REPLY_P90, "first reply p90"),
    (SOLVED_IN_TWO, "solved in {interactions}"),
    (SURVEY_YES, "“Yes”"),
)


def short_text(figure: Figure, metrics: Metrics) -> str:
    """The value alone, for narrow tables: "14 h", "25 %"."""
    return value_in(figure, figure.value(metrics))


def value_in(figure: Figure, value: float | None) -> str:
    """A value of `figure` in its unit: "14 h", "25 %"; None: "—"."""
    if figure.unit == "duration":
        return duration(value, none=fmt.NONE, under_a_minute=fmt.UNDER_A_MINUTE)
    return fmt.share(value)


@dataclass(frozen=True, slots=True)
class DirectionRow:
    figure: str
    before: str
    now: str
    verdict: str  # "▲ better", "▼ worse", "≈ same", "—"
    sparkline: str | None  # inline SVG


def direction_rows(report: Report) -> list[DirectionRow]:
    before = report.previous.metrics if report.previous else None
    rows = []
    for change in direction(report):
        f = change.figure
        rows.append(
            DirectionRow(
                label(f, report.thresholds),
                short_text(f, before) if before else fmt.NONE,
                short_text(f, report.overall.metrics),
                VERDICT_WORDS[change.verdict],
                charts.sparkline_svg(trend(report, f)),
            )
        )
    return rows


def trend(report: Report, figure: Figure) -> charts.Trend:
    noun = figure.basis_noun
    return charts.Trend(
        label(figure, report.thresholds),
        figure.unit,
        figure.better,
        tuple(
            charts.TrendPoint(
                f"{week.start:%b %d}", figure.value(week.metrics), figure.basis(week.metrics)
            )
            for week in report.weeks
        ),
        noun=noun,
    )


def trend_charts(report: Report) -> list[tuple[str, str]]:
    """(figure, chart) for each key figure with something to draw (none all zero, none
    empty)."""
    drawn = (
        (label(f, report.thresholds), charts.trend_svg(trend(report, f), id=f"trend-{f.key}"))
        for f in KEY_FIGURES
    )
    return [(name, svg) for name, svg in drawn if svg]


@dataclass(frozen=True, slots=True)
class Consistency:
    callouts: list[str]  # one line per scope far from the team
    headers: list[str]
    rows: list[list[str]]  # the scopes with enough tickets
    few: str | None  # the small samples, named


def consistency(report: Report, scopes: Sequence[Scope], kind: str) -> Consistency:
    t = report.thresholds
    callouts = []
    for figure in (FIRST_REPLY_P90, SURVEY_YES, SOLVED_IN_TWO, ESCALATED):
        found = spread(report, scopes, figure)
        for outlier in found.far[:3]:
            what = figure.short.format(interactions=t.interactions)
            value, team = value_in(figure, outlier.value), value_in(figure, outlier.team)
            callouts.append(f"{outlier.scope.label}: {what} {value} against the team's {team}")
    enough = [s for s in scopes if s.metrics.tickets >= report.min_tickets]
    few = [s for s in scopes if 0 < s.metrics.tickets < report.min_tickets]
    return Consistency(
        callouts,
        [kind, "tickets", *(h.format(interactions=t.interactions) for _, h in COMPACT)],
        [_compact_row(s) for s in enough],
        (
            f"Fewer than {report.min_tickets} tickets, so not compared: "
            + ", ".join(f"{s.label} ({s.metrics.tickets})" for s in few)
        )
        if few
        else None,
    )


def _compact_row(scope: Scope) -> list[str]:
    m = scope.metrics
    return [scope.label, f"{m.tickets:,}", *(short_text(f, m) for f, _ in COMPACT)]


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    what: str
    solved: str
    yes: str
    came_back: str
    retention: tuple[str, ...] = ()  # repurchased within each window, churned after


def outcome_rows(report: Report) -> list[OutcomeRow]:
    """Every solved ticket of the window, then both sides of each split."""
    if not report.outcomes:
        return []
    r = report.retention
    rows = [_outcome_row("all solved tickets", outcome_total(report), r.all if r else None)]
    n = report.thresholds.interactions
    for split in outcome_splits(report):
        happened, did_not = SPLIT_WORDS[split.split]
        sides = r.splits.get(split.split, {}) if r else {}
        rows.append(_outcome_row(happened.format(n=n), split.yes, sides.get(True)))
        rows.append(_outcome_row(did_not.format(n=n), split.no, sides.get(False)))
    return rows


def _outcome_row(what: str, c: OutcomeCounts, kept: GroupFigures | None) -> OutcomeRow:
    retention = ()
    if kept is not None:
        retention = (*(fmt.rate(r) for _, r in sorted(kept.repurchased.items())),)
        retention += (fmt.rate(kept.churned),)
    return OutcomeRow(
        what, f"{c.solved:,}", fmt.rate(yes_share(c)), fmt.rate(came_back_share(c)), retention
    )


def outcome_headers(report: Report) -> list[str]:
    t = report.thresholds
    headers = [
        "what happened",
        "solved tickets",
        "answered “Yes, solved”",
        f"came back within {t.came_back_days:g} days",
    ]
    if report.retention:
        r = report.retention
        headers += [f"bought again within {d} days" for d in r.windows_days]
        headers.append(f"churned within {r.churn_window_days} days")
    return headers


def retention_note(report: Report) -> str | None:
    """What the reader should know about the retention columns, if anything."""
    if report.retention_error:
        return f"The retention history could not be read: {report.retention_error}"
    r = report.retention
    if r is None:
        return None
    return (
        f"Retention: {r.all.matched.count:,} of {r.all.matched.total:,} contacts matched to "
        f"a customer of the history ({r.unmatched:,} not); shares are of the matched ones."
    )


def definitions(t: Thresholds) -> list[tuple[str, str]]:
    """(figure, how it is counted): the key figures, then what the page adds."""
    return [
        (
            "tickets, and where they count",
            "tickets created in the period, as they stand now; a ticket counts in the group "
            "that first answered it (unanswered: its group now) and with its assignee as last "
            "seen (for a solved ticket: who solved it); a next-reply wait counts in the group "
            "that ended it",
        ),
        ("answered", "of those, tickets with a first agent reply"),
        *((label(f, t), f.definition(t)) for f in KEY_FIGURES),
        (
            "first-reply and next-reply waits",
            "a ticket's first message waits for a first reply; each later message of the "
            "requester after an agent's public reply waits for a next reply",
        ),
        (
            "SLA breached",
            "breached waits / waits, first and next replies together; each wait counts once, "
            "however many polls saw it",
        ),
        (
            "direction",
            "the window beside the window of the same length just before it; a change "
            "under 5 % of a time or under 1 point of a share reads “≈ same”",
        ),
        (
            "trend",
            "the same figures week by week, each week ending on the report's weekday; a week "
            "with nothing to count is a gap, not a zero",
        ),
        (
            "consistency",
            "an agent or group is far from the team when a time is 1.5× the team's or more "
            "(or ⅔ or less), or a share 15 points or more away, with enough tickets behind it",
        ),
        (
            f"came back within {t.came_back_days:g} days",
            "solved tickets whose requester opened another ticket in the same helpdesk within "
            f"{t.came_back_days:g} days of the solve (so far, for the latest) / solved tickets",
        ),
        (
            "what happened",
            "breached: a first or next reply past the target; escalated: by "
            "resolve.two_interactions; passed around: as above; solved within "
            f"{t.interactions} interactions: at most {t.interactions} public agent replies",
        ),
    ]
