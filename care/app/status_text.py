"""`care status` on a terminal: the `Status` of care/status.py as lines and small tables.

Times are full ISO 8601 and errors are whole: the lines that carry them are printed
with `soft_wrap`, so rich never folds, crops or ellipsizes them to the console width
(the terminal wraps them instead, and a copy-paste or a grep gets them intact).
Tables hold only short labels and counts.
"""

from __future__ import annotations

from datetime import datetime

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from care.app.status import (
    FAILED,
    NEVER_POLLED,
    QUARANTINE_RETRY,
    UP_TO_DATE,
    HelpdeskStatus,
    Status,
    next_try,
)
from care.domain.wording import ago, plural
from care.store import ActionRecord, ActionState


def print_status(console: Console, status: Status) -> None:
    now = status.generated_at
    _line(console, f"[bold]CARE status[/] at {_iso(now)} · database {escape(status.database)}")
    _heading(console, "Polling")
    for h in status.helpdesks:
        _helpdesk(console, h, now)
    if not status.helpdesks:
        _line(console, "  [dim](no helpdesk configured or polled)[/]")
    console.print(_surveys(status))
    console.print(_rules(status))
    _outreach(console, status)
    _heading(console, "Latest actions")
    for a in status.recent_actions:
        _line(console, f"  {_iso(a.created_at)}  {_action(a)}  {a.state.value}")
    if not status.recent_actions:
        _line(console, "  [dim](none)[/]")
    if status.failed_actions:
        _heading(console, f"Failing actions ({len(status.failed_actions)} latest)")
        for a in status.failed_actions:
            _failing(console, a, now)
    else:
        _line(console, "[green]No failing actions.[/]")
    _quarantined(console, status)


def _helpdesk(console: Console, h: HelpdeskStatus, now: datetime) -> None:
    name = h.name if h.configured else f"{h.name} [dim](not configured, known from the store)[/]"
    if h.state == NEVER_POLLED:
        _line(console, f"  {name}: [yellow]never polled[/]")
        return
    if h.state == UP_TO_DATE:
        headline = f"[green]up to date as of {_iso(h.up_to_date_as_of)}[/] ({ago(h.lag)})"
    elif h.state == FAILED:
        headline = f"[red]last poll failed at {_iso(h.last_poll_finished_at)}[/]"
    else:
        headline = (
            f"[yellow]the poll started {_iso(h.last_poll_started_at)} has not read to the end "
            "of the changes yet[/] (still running, or stopped without a word)"
        )
    _line(console, f"  [bold]{name}[/]: {headline}")
    if h.state == FAILED:
        _detail(console, "error", f"[red]{escape(h.last_error or '')}[/]")
    if h.state != UP_TO_DATE:
        last_good = (
            f"{_iso(h.caught_up_at)} ({ago(h.lag)})"
            if h.caught_up_at
            else "[yellow]never: no poll has read to the end of the changes yet[/]"
        )
        _detail(console, "last up to date", last_good)
    newest = f"{_iso(h.read_up_to)} (from the {h.read_up_to_from})" if h.read_up_to else "none yet"
    _detail(console, "newest change read", newest)
    _detail(console, "last poll started", _iso(h.last_poll_started_at) or "[dim]—[/]")
    if h.last_page_saved_at:  # never for a poll that read nothing or failed before a page
        _detail(console, "last page saved", _iso(h.last_page_saved_at))
    else:
        _detail(console, "pages saved", "[dim]none with tickets yet[/]")
    _detail(console, "tickets", f"{h.tickets_stored:,} stored, {h.tickets_seen:,} reads in all")
    if h.cursor:
        _detail(console, "cursor", escape(h.cursor))
    if h.quarantined:
        _detail(
            console, "quarantined", f"[yellow]{plural(h.quarantined, 'ticket')}[/] (listed below)"
        )


def _quarantined(console: Console, status: Status) -> None:
    if not status.quarantined:
        _line(console, "[green]No quarantined tickets.[/]")
        return
    total = sum(h.quarantined for h in status.helpdesks)
    shown = (
        f"{len(status.quarantined)} latest of {total}" if total > len(status.quarantined) else total
    )
    _heading(console, f"Quarantined tickets ({shown})")
    for q in status.quarantined:
        _line(console, f"  {escape(f'{q.helpdesk} ticket {q.ticket_id}')}: {QUARANTINE_RETRY}")
        _detail(console, f"why ({q.stage})", f"[yellow]{escape(q.reason)}[/]")
        seen = f"since {_iso(q.first_seen_at)}, last {_iso(q.last_seen_at)}"
        _detail(console, "set aside", f"{seen} (by {plural(q.times_seen, 'poll')})")


def _failing(console: Console, a: ActionRecord, now: datetime) -> None:
    _, when = next_try(a, now)
    attempts = plural(a.attempts, "attempt")
    if a.state is ActionState.FAILED:
        when = f"[red]{when}[/]"
    _line(console, f"  {_action(a)}: {a.state.value}, {attempts}; {when}")
    if a.last_error:
        _detail(console, "error", f"[red]{escape(a.last_error)}[/]")
    if a.notify_error and not a.notified_at:
        _detail(console, "alert error", f"[red]{escape(a.notify_error)}[/]")
    _detail(console, "recorded", _iso(a.created_at))


def _action(a: ActionRecord) -> str:
    return escape(f"{a.helpdesk} ticket {a.ticket_id} {a.rule}")


def _surveys(status: Status) -> Table:
    s = status.surveys
    table = _table("surveys", "count", title="Surveys")
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
    table = _table("rule", "helpdesk", *states, title="Actions by rule")
    for helpdesk, rules in sorted(status.actions_by_rule.items()):
        for rule, counts in sorted(rules.items()):
            cells = [str(counts.get(state, 0)) for state in states]
            table.add_row(rule, helpdesk, *cells)
    if not status.actions_by_rule:
        table.add_row("[dim](none recorded)[/]", "", *["0"] * len(states))
    return table


def _table(*columns: str, title: str) -> Table:
    # A light box fits 80 columns; "fold" keeps a cell whole should it still not fit.
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _heading(console: Console, text: str) -> None:
    _line(console, f"\n[bold]{text}[/]")


def _detail(console: Console, label: str, value: str) -> None:
    _line(console, f"    {label}: {value}")


def _line(console: Console, markup: str) -> None:
    console.print(markup, soft_wrap=True, highlight=False)


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


def _outreach(console: Console, status: Status) -> None:
    """Error events in, contacts made, and why the others were not (`assist.proactive_outreach`)."""
    events, contacts = status.error_events, status.outreach
    if not any(events.values()) and not any(contacts.values()):
        return
    _heading(console, "Proactive outreach")
    done = {k.removeprefix("done:"): n for k, n in events.items() if k.startswith("done:")}
    skipped = {k.removeprefix("skipped:"): n for k, n in done.items() if k.startswith("skipped:")}
    _line(
        console,
        f"  error events: {sum(events.values())} in, {events.get('new', 0)} waiting · "
        f"contacted {done.get('contacted', 0)} · tickets opened {contacts.get('opened', 0)}"
        + (f", [yellow]{contacts['intended']} to open[/]" if contacts.get("intended") else ""),
    )
    if skipped:
        reasons = ", ".join(f"{why.replace('_', ' ')} {n}" for why, n in sorted(skipped.items()))
        _line(console, f"  skipped: {escape(reasons)}")
