"""The report's key figures in a terminal (`care run report`)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from care.domain import insights
from care.domain.report import Report
from care.report import format as fmt
from care.report import sections


def print_report(
    console: Console, report: Report, html_path: Path, *, compare: bool = False
) -> None:
    """The key figures by helpdesk and the bottlenecks; with `compare`, each key figure
    beside the window before, with the change."""
    console.print(f"[bold]CARE report[/] · {fmt.window(report)}", highlight=False)
    problems = [b.line for b in insights.bottlenecks(report)]
    if problems:
        console.print("[bold]Bottlenecks[/]")
        for i, line in enumerate(problems, 1):
            console.print(f"  {i}. {escape(line)}", highlight=False)
    if compare:
        _print_direction(console, report)
    if report.no_tickets:
        console.print(f"[yellow]{fmt.NO_TICKETS}[/]: {fmt.no_tickets_detail(report)}")
    else:
        scopes = [report.overall, *(h.total for h in report.helpdesks)]
        table = Table("", *(s.label for s in scopes), title_justify="left")
        for column in fmt.columns(report.thresholds):
            table.add_row(column.header, *(column.cell(s.metrics) for s in scopes))
        console.print(table)
        found = fmt.bottlenecks(report)
        never = [found.never_answered] if found.never_answered else []
        for heading, lines in (
            ("Longest waits (first-response p90)", [*found.waits, *never]),
            ("Most passed around", found.hops),
        ):
            console.print(f"[bold]{heading}[/]" + ("" if lines else ": none"))
            for line in lines:
                console.print(f"  {escape(line)}", highlight=False)
    outreach = fmt.outreach_lines(report)
    if outreach:
        console.print("[bold]Proactive outreach[/]")
        for line in outreach:
            console.print(f"  {escape(line)}", highlight=False)
    console.print(f"HTML page: {html_path}", highlight=False, soft_wrap=True)


def _print_direction(console: Console, report: Report) -> None:
    if report.previous is None:
        console.print("No tickets in the window before this one: nothing to compare with yet.")
    table = Table("", "before", "now", "change", title_justify="left")
    for row in sections.direction_rows(report):
        colour = "red" if "worse" in row.verdict else "green" if "better" in row.verdict else ""
        verdict = f"[{colour}]{row.verdict}[/]" if colour else row.verdict
        table.add_row(escape(row.figure), row.before, row.now, verdict)
    console.print(table)
