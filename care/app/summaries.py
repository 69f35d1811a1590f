"""Terminal summaries of flow runs (rich tables)."""

from __future__ import annotations

from collections import Counter
from typing import Protocol

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from care.domain.wording import plural
from flows.summary import PollSummary


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


# Dispatch outcome labels (`tasks.surveys`, `care.domain.surveys`) as an admin reads
# them; the labels themselves stay short and stable because the store and tests count them.
OUTCOME_WORDS = {
    "not_yet": "not due yet: rescheduled",
    "reopened": "ticket reopened: sent once it is solved again",
    "skip:ticket_deleted": "skipped: the ticket was deleted",
    "skip:too_late": "skipped: too late to ask",
    "skip:no_email": "skipped: the requester has no e-mail address",
    "skip:opted_out": "skipped: the requester opted out",
    "skip:no_survey_tag": "skipped: the ticket is tagged not to survey",
    "skip:cooldown": "skipped: the requester had a survey recently",
}


def outcome_words(label: str) -> str:
    """A dispatch outcome in words: "skip:no_email" -> "skipped: the requester has no ..."."""
    if label in OUTCOME_WORDS:
        return OUTCOME_WORDS[label]
    if label.startswith("skip:"):  # a reason added later: still readable
        return "skipped: " + label.removeprefix("skip:").replace("_", " ")
    return label.replace("_", " ")


def interrupted_note(interrupted: int) -> str:
    """What an admin should do about sends an earlier, killed dispatcher left open."""
    if not interrupted:
        return ""
    return (
        f"{plural(interrupted, 'interrupted send')} found (a dispatcher stopped between sending "
        "and recording). Delivered ones are recorded sent; the others are recorded failed and not "
        "sent again, as they may have gone out: their last_error names the Message-ID to look "
        "for in the mail server's log."
    )
