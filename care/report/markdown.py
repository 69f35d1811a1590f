"""The report as Markdown: the `care-report` Prefect artifact."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from care.domain import insights
from care.domain.metrics import Scope
from care.domain.report import Report
from care.report import format as fmt
from care.report import sections


def render_markdown(report: Report, page: Path | None = None) -> str:
    """The artifact; `page` is the standalone HTML page written beside it, linked."""
    lines = [f"# CARE report · {fmt.window(report)}", ""]
    if page is not None:
        # The path is shown as well as linked: browsers do not open file:// links from a
        # web page such as the Prefect UI, but the path can be pasted.
        lines += [f"**HTML page**: [{_escape(str(page))}]({page.absolute().as_uri()})", ""]
    if report.no_tickets:
        lines += [f"**{fmt.NO_TICKETS}**: {fmt.no_tickets_detail(report)}", ""]
    else:
        lines += [fmt.totals(report), "", *_bottlenecks(report), *_direction(report)]
        lines += _consistency(report) + _outcomes(report)
    if report.helpdesks:  # an empty window has no figures to tabulate
        scopes = [report.overall, *(h.total for h in report.helpdesks)]
        lines += ["## By helpdesk", "", *_table(report, "Helpdesk", scopes), ""]
    if report.groups:
        lines += ["## By group", "", *_table(report, "Group", report.groups), ""]
    if report.outreach.any:
        lines += [
            "## Proactive outreach",
            "",
            *(f"- {line}" for line in fmt.outreach_lines(report)),
            "",
        ]
    lines += ["## How each figure is counted", ""]
    lines += [f"- **{name}**: {text}" for name, text in sections.definitions(report.thresholds)]
    return "\n".join(lines) + "\n"


def _bottlenecks(report: Report) -> list[str]:
    found = fmt.bottlenecks(report)
    problems = [b.line for b in insights.bottlenecks(report)]
    lines = ["## Bottlenecks", ""]
    lines += [f"{i}. **{_escape(line)}**" for i, line in enumerate(problems, 1)] or [
        "Nothing got worse against the window before, and no group is past its target."
    ]
    lines += ["", "**Longest waits** (first-response p90, by group):", ""]
    lines += [f"{i}. {_escape(line)}" for i, line in enumerate(found.waits, 1)] or ["- none"]
    if found.never_answered:
        lines += ["", _escape(found.never_answered)]
    lines += ["", "**Most passed around** (by group):", ""]
    lines += [f"{i}. {_escape(line)}" for i, line in enumerate(found.hops, 1)] or ["- none"]
    return [*lines, ""]


def _direction(report: Report) -> list[str]:
    lines = ["## Direction", ""]
    if report.previous is None:
        lines += ["No tickets in the window before this one: nothing to compare with yet.", ""]
    lines += ["| Figure | Before | Now | Change |", "|---|---:|---:|---|"]
    for row in sections.direction_rows(report):
        cells = (row.figure, row.before, row.now, row.verdict)
        lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    return [*lines, ""]


def _consistency(report: Report) -> list[str]:
    lines: list[str] = []
    for title, scopes, kind in (
        ("Consistency across groups", report.groups, "group"),
        ("Consistency across agents", report.agents, "agent"),
    ):
        part = sections.consistency(report, scopes, kind)
        if not (part.rows or part.few):
            continue
        lines += [f"## {title}", ""]
        lines += [f"- {_escape(line)}" for line in part.callouts] or [
            "Nobody with enough tickets sits far from the team."
        ]
        if part.few:
            lines += ["", _escape(part.few)]
        lines.append("")
    return lines


def _outcomes(report: Report) -> list[str]:
    rows = sections.outcome_rows(report)
    if not rows:
        return []
    headers = [_capitalized(h) for h in sections.outcome_headers(report)]
    lines = ["## Outcomes", "", "| " + " | ".join(headers) + " |"]
    lines.append("|---|" + "---:|" * (len(headers) - 1))
    for row in rows:
        cells = (row.what, row.solved, row.yes, row.came_back, *row.retention)
        lines.append("| " + " | ".join(_escape(c) for c in cells) + " |")
    note = sections.retention_note(report)
    return [*lines, "", *([_escape(note), ""] if note else [])]


def _table(report: Report, first: str, scopes: Iterable[Scope]) -> list[str]:
    columns = fmt.columns(report.thresholds)
    header = "| " + " | ".join([first, *(_capitalized(c.header) for c in columns)]) + " |"
    rule = "|---|" + "---:|" * len(columns)
    rows = [
        "| " + " | ".join([_escape(s.label), *(c.cell(s.metrics) for c in columns)]) + " |"
        for s in scopes
    ]
    return [header, rule, *rows]


def _capitalized(header: str) -> str:
    """ "first response p90" -> "First response p90", as in every artifact's columns."""
    return header[:1].upper() + header[1:]


def _escape(text: str) -> str:
    """Group ids come from the helpdesk: keep them from breaking a table or adding markup."""
    for char in "\\|*_`[]<>#":
        text = text.replace(char, "\\" + char)
    return text
