"""`care status` on a terminal: the `Status` of care/status.py as rich tables."""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from care.status import LAG_MEANS, HelpdeskStatus, Status
from care.store import ActionRecord, ActionState

NONE = "[dim]—[/]"


def print_status(console: Console, status: Status) -> None:
    now = status.generated_at
    console.print(
        f"[bold]CARE status[/] · {now:%Y-%m-%d %H:%M} UTC · database {escape(status.database)}",
        highlight=False,
    )
    console.print(_polling(status.helpdesks, now))
    console.print(f"[dim]lag: {LAG_MEANS}[/]", highlight=False)
    console.print(_surveys(status))
    console.print(_rules(status))
    console.print(_actions("Latest actions", status.recent_actions, now, errors=False))
    if status.failed_actions:
        console.print(_actions("Failing actions", status.failed_actions, now, errors=True))
    else:
        console.print("[green]No failing actions.[/]")


def _polling(helpdesks: list[HelpdeskStatus], now: datetime) -> Table:
    table = Table(
        "helpdesk",
        "read up to",
        "lag",
        "last poll started",
        "last page saved",
        "tickets",
        "last error",
        title="Polling",
        title_justify="left",
    )
    for h in helpdesks:
        name = h.name if h.configured else f"{h.name} [dim](not configured)[/]"
        if not h.polled:
            table.add_row(name, "[yellow]never polled[/]", NONE, NONE, NONE, "0", NONE)
            continue
        error = f"[red]{escape(h.last_error)}[/]" if h.last_error else "[green]none[/]"
        table.add_row(
            name,
            _when(h.read_up_to),
            _span(h.lag) if h.lag is not None else NONE,
            _ago(now, h.last_poll_started_at),
            _ago(now, h.last_poll_finished_at),
            f"{h.tickets_stored:,}",
            error,
        )
    if not helpdesks:
        table.add_row("[dim](no helpdesk configured or polled)[/]", *[""] * 6)
    return table


def _surveys(status: Status) -> Table:
    s = status.surveys
    table = Table("surveys", "count", title="Surveys", title_justify="left")
    for state, count in s.by_state.items():
        label = f"{state} ({s.due_now} due now)" if state == "scheduled" else state
        table.add_row(label, str(count))
    table.add_row("answered solved / unsolved", f"{s.answers['solved']} / {s.answers['unsolved']}")
    table.add_row("comments", str(s.comments))
    table.add_row("opted out", str(s.opt_outs))
    pending = f"[yellow]{s.pending_write_backs}[/]" if s.pending_write_backs else "0"
    table.add_row("answers not yet written to the ticket", pending)
    return table


def _rules(status: Status) -> Table:
    states = [state.value for state in ActionState]
    table = Table("rule", "helpdesk", *states, title="Actions by rule", title_justify="left")
    for helpdesk, rules in sorted(status.actions_by_rule.items()):
        for rule, counts in sorted(rules.items()):
            cells = [str(counts.get(state, 0)) for state in states]
            table.add_row(rule, helpdesk, *cells)
    if not status.actions_by_rule:
        table.add_row("[dim](none recorded)[/]", "", *["0"] * len(states))
    return table


def _actions(title: str, actions: list[ActionRecord], now: datetime, errors: bool) -> Table:
    columns = ["recorded", "helpdesk", "ticket", "rule", "state", "attempts"]
    table = Table(*columns, *(["last error"] if errors else []), title=title, title_justify="left")
    for a in actions:
        cells = [_ago(now, a.created_at), a.helpdesk, a.ticket_id, a.rule, a.state.value]
        cells.append(str(a.attempts))
        if errors:
            alert = f"alert: {a.notify_error}" if a.notify_error and not a.notified_at else ""
            cells.append(f"[red]{escape(a.last_error or alert)}[/]")
        table.add_row(*cells)
    if not actions:
        table.add_row("[dim](none)[/]", *[""] * (len(table.columns) - 1))
    return table


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else NONE


def _ago(now: datetime, moment: datetime | None) -> str:
    if moment is None:
        return NONE
    return f"{_span(now - moment)} ago"


def _span(span: timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 3 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} days"
