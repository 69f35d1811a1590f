"""The report as Markdown: the `care-report` Prefect artifact."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from care.domain.metrics import Scope
from care.domain.report import Report
from care.report import format as fmt


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
        lines += [fmt.totals(report), "", *_bottlenecks(report)]
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
    lines += [f"- **{name}**: {text}" for name, text in fmt.definitions(report.thresholds)]
    return "\n".join(lines) + "\n"


def _bottlenecks(report: Report) -> list[str]:
    found = fmt.bottlenecks(report)
    lines = ["## Bottlenecks", "", "**Longest waits** (first-response p90, by group):", ""]
    lines += [f"{i}. {_escape(line)}" for i, line in enumerate(found.waits, 1)] or ["- none"]
    if found.never_answered:
        lines += ["", _escape(found.never_answered)]
    lines += ["", "**Most passed around** (by group):", ""]
    lines += [f"{i}. {_escape(line)}" for i, line in enumerate(found.hops, 1)] or ["- none"]
    return [*lines, ""]


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
