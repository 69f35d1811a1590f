"""Terminal summaries of flow runs (rich tables)."""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from care.domain.wording import plural
from flows.summary import PollSummary, interrupted_note, outcome_words
from tasks.outreach import OutreachResult


def print_poll_summary(console: Console, summary: PollSummary) -> None:
    mode = " [yellow](dry run: nothing written)[/]" if summary.dry_run else ""
    console.print(
        f"[bold]{summary.helpdesk}[/]: {summary.read}, "
        f"{summary.seconds:.1f} s ({summary.tickets_per_second:,.0f} tickets/s){mode}"
    )
    table = Table("rule", "new actions", title="Actions by rule", title_justify="left")
    for rule, count in sorted(summary.new_actions.items()):
        table.add_row(rule, str(count))
    if not summary.new_actions:
        table.add_row("[dim](none)[/]", "0")
    console.print(table)
    r = summary.requests
    console.print(
        f"applied {summary.applied}, failed {summary.failed}, quarantined {summary.skipped}, "
        f"surveys scheduled {summary.surveys_scheduled} · requests: {r.get('reads', 0):.0f} reads, "
        f"{r.get('writes', 0):.0f} writes, {r.get('rate_limited', 0):.0f} rate-limited"
    )
    a = summary.alerts
    if a.enabled and not summary.dry_run:
        console.print(
            f"escalation alerts: {a.sent} sent, {a.failed - a.given_up} to retry next poll, "
            f"{a.given_up} given up"
        )


class DispatchOutcomes(Protocol):
    outcomes: Counter[str]  # outcome label -> surveys

    @property
    def interrupted(self) -> int: ...


def print_dispatch_summary(console: Console, result: DispatchOutcomes) -> None:
    table = Table("outcome", "surveys", title="Survey dispatch", title_justify="left")
    for label, count in sorted(result.outcomes.items()):
        style = "bold yellow" if label.startswith("interrupted") else ""
        table.add_row(escape(outcome_words(label)), str(count), style=style)
    if not result.outcomes:
        table.add_row("[dim](none due)[/]", "0")
    console.print(table)
    note = interrupted_note(result.interrupted)
    if note:
        console.print(f"[yellow]{note}[/]", highlight=False)


def print_outreach_summary(console: Console, result: OutreachResult, dry_run: bool) -> None:
    mode = " [yellow](dry run: nothing written)[/]" if dry_run else ""
    console.print(
        f"[bold]proactive outreach[/]: {plural(result.events, 'error event')} judged, "
        f"{result.opened} tickets opened, {result.found} found already open, "
        f"{len(result.failed)} failed{mode}",
        highlight=False,
    )
    table = Table("outcome", "events", title="Error events", title_justify="left")
    for label, count in sorted(result.outcomes.items()):
        table.add_row(escape(label.replace("skipped:", "skipped: ").replace("_", " ")), str(count))
    if not result.outcomes:
        table.add_row("[dim](no new events)[/]", "0")
    console.print(table)
    for key, error in sorted(result.failed.items())[:10]:
        console.print(f"[red]contact {key[:10]}[/]: {escape(error)}", highlight=False)
