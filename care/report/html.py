"""The report as a standalone HTML page: inline SVG bar charts, a table under each.

No script, no external asset, nothing fetched: the page is one file that opens
offline and can be mailed or archived as is. Charts are drawn here (geometry in
viewBox units, scaled to the screen by the browser) and written by the autoescaped
template `report.html.j2`, which a file of that name in `templates_dir` overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from care.domain import insights
from care.domain.metrics import Metrics, Rate, Scope
from care.domain.report import Report
from care.domain.templating import template_environment
from care.domain.wording import duration
from care.report import format as fmt
from care.report import sections
from care.report.charts import axis_unit

TEMPLATE = "report.html.j2"

WIDTH = 360  # viewBox units; labels sit above their bar, so bars can use the full width
ROW = 42  # label line + bar
BAR = 14


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    text: str  # the figure, written at the right end of the label line
    y: int  # top of the row
    width: float  # of the bar, in viewBox units


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    description: str  # what the bars show, for screen readers and the caption
    bars: tuple[Bar, ...]
    headers: tuple[str, ...]  # the table of the chart's numbers
    rows: tuple[tuple[str, ...], ...]
    width: int = WIDTH

    @property
    def height(self) -> int:
        return len(self.bars) * ROW


def render_html(report: Report, templates_dir: str | None = None) -> str:
    env = template_environment(templates_dir)
    columns = fmt.columns(report.thresholds)
    helpdesks = (report.overall, *(h.total for h in report.helpdesks))
    return env.get_template(TEMPLATE).render(
        title=f"CARE report · {fmt.window(report)}",
        report=report,
        window=fmt.window(report),
        end=fmt.moment(report.end),
        no_tickets=fmt.NO_TICKETS,
        no_tickets_detail=fmt.no_tickets_detail(report),
        totals=fmt.totals(report),
        bottlenecks=fmt.bottlenecks(report),
        problems=[b.line for b in insights.bottlenecks(report)],
        has_previous=report.previous is not None,
        direction=sections.direction_rows(report),
        trends=sections.trend_charts(report),
        groups=sections.consistency(report, report.groups, "group"),
        agents=sections.consistency(report, report.agents, "agent"),
        outcome_headers=sections.outcome_headers(report),
        retention_note=sections.retention_note(report),
        outcomes=sections.outcome_rows(report),
        charts=charts(report),
        helpdesk_headers=[s.label for s in helpdesks],
        helpdesk_rows=[[c.header, *(c.cell(s.metrics) for s in helpdesks)] for c in columns],
        group_details=[_row(s, columns) for s in report.groups],
        headers=[c.header for c in columns],
        definitions=sections.definitions(report.thresholds),
        outreach=fmt.outreach_lines(report),
        bar_height=BAR,
    )


def write_html(report: Report, folder: Path, templates_dir: str | None = None) -> Path:
    """Write the page to `folder` (created if need be) and return its path; one file per
    window end date and length, so a second run that day replaces the first."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / page_name(report.end, report.days)
    path.write_text(render_html(report, templates_dir), encoding="utf-8")
    return path


def page_name(end: datetime, days: float) -> str:
    return f"care-report-{end:%Y-%m-%d}-{days:g}d.html"


def charts(report: Report) -> list[Chart]:
    """The first-response p90 per group, the passed-around rate per group, and the
    rates of each helpdesk; a chart with nothing to draw (no bar, or every bar zero) is
    left out."""
    found = [_waits_chart(report.groups), _hops_chart(report.groups)]
    found += [_rates_chart(i, h.total, report) for i, h in enumerate(report.helpdesks)]
    return [c for c in found if any(bar.width > 0 for bar in c.bars)]


def _waits_chart(groups: Sequence[Scope]) -> Chart:
    answered = sorted(
        (g for g in groups if g.metrics.first_response_p90 is not None),
        key=lambda g: -(g.metrics.first_response_p90 or 0.0),
    )
    longest = max((g.metrics.first_response_p90 or 0.0 for g in answered), default=0.0)
    unit = axis_unit(longest)  # one unit for every bar of the chart
    return Chart(
        id="waits",
        title="First response, 90th percentile, by group",
        description="Bars: the first-response time within which 90 % of each group's "
        "answered tickets got their first agent reply; longest first.",
        bars=_bars(
            [(g.label, unit.text(g.metrics.first_response_p90 or 0.0)) for g in answered],
            [(g.metrics.first_response_p90 or 0.0) / longest if longest else 0.0 for g in answered],
        ),
        headers=("group", "answered", "median", "p90"),
        rows=tuple(
            (
                g.label,
                f"{g.metrics.answered:,} of {g.metrics.tickets:,}",
                duration(
                    g.metrics.first_response_median,
                    none=fmt.NONE,
                    under_a_minute=fmt.UNDER_A_MINUTE,
                ),
                duration(
                    g.metrics.first_response_p90, none=fmt.NONE, under_a_minute=fmt.UNDER_A_MINUTE
                ),
            )
            for g in answered
        ),
    )


def _hops_chart(groups: Sequence[Scope]) -> Chart:
    counted = sorted(
        (g for g in groups if g.metrics.tickets),
        key=lambda g: -(g.metrics.passed_around.value or 0.0),
    )
    return Chart(
        id="hops",
        title="Passed around, by group",
        description="Bars: the share of each group's tickets passed around between groups "
        "or agents; most first.",
        bars=_bars(
            [(g.label, fmt.rate(g.metrics.passed_around)) for g in counted],
            [g.metrics.passed_around.value or 0.0 for g in counted],
        ),
        headers=("group", "tickets", "passed around", "hops a ticket"),
        rows=tuple(
            (
                g.label,
                f"{g.metrics.tickets:,}",
                fmt.rate(g.metrics.passed_around),
                f"{g.metrics.hops_per_ticket or 0.0:.1f}",
            )
            for g in counted
        ),
    )


def _rates_chart(index: int, helpdesk: Scope, report: Report) -> Chart:
    m = helpdesk.metrics
    rates = _rates(m, report.thresholds.interactions)
    return Chart(
        id=f"rates-{index}",
        title=f"Rates, {helpdesk.label}",
        description=f"Bars: each rate of {helpdesk.label} from 0 to 100 %; "
        "a dash where there was nothing to count.",
        bars=_bars([(name, fmt.rate(r)) for name, r in rates], [r.value or 0.0 for _, r in rates]),
        headers=("rate", "share", "counted", "out of"),
        rows=tuple((name, fmt.percent(r), f"{r.count:,}", f"{r.total:,}") for name, r in rates),
    )


def _rates(m: Metrics, interactions: int) -> list[tuple[str, Rate]]:
    return [
        ("first-reply breached", m.first_reply_breached),
        ("next-reply breached", m.next_reply_breached),
        ("SLA breached", m.breached),
        ("escalated", m.escalated),
        (f"solved within {interactions} interactions", m.solved_within),
        ("reopened", m.reopened),
        ("passed around", m.passed_around),
        ("surveys answered", m.survey_response),
        ('answered "solved"', m.survey_solved),
    ]


def _bars(labelled: Sequence[tuple[str, str]], shares: Sequence[float]) -> tuple[Bar, ...]:
    return tuple(
        Bar(label, text, y=i * ROW, width=round(max(0.0, min(share, 1.0)) * WIDTH, 1))
        for i, ((label, text), share) in enumerate(zip(labelled, shares, strict=True))
    )


def _row(scope: Scope, columns: Sequence[fmt.Column]) -> list[str]:
    return [scope.label, *(c.cell(scope.metrics) for c in columns)]
