"""`care demo`: the whole product on embedded defaults, in under a minute.

Starts the Zendesk sandbox on loopback, points CARE at it with a demo config,
runs poll → surveys → poll again (to show nothing is applied twice) and prints
what was tagged, escalated and surveyed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from care import progress
from care.summary import PollSummary

DEMO_CONFIG = """\
# Written by `care demo`: the defaults, plus a call-booking link for escalations.
database_url = "sqlite:///{workdir}/care.db"

[rules.two_interactions]
call_booking_url = "https://calendar.example.com/support-call"

[survey]
sender = "Acme Support <support@acme.example>"
outbox_dir = "{workdir}/outbox"
"""


def run_demo(console: Console, tickets: int, workdir: str) -> None:
    from connectors.zendesk.sandbox import ZendeskSandbox

    started = time.monotonic()
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    for old in (*folder.glob("care.db*"), folder / "outbox"):  # only what a demo wrote
        shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
    config = folder / "care.toml"
    config.write_text(DEMO_CONFIG.format(workdir=folder.as_posix()), encoding="utf-8")

    with ZendeskSandbox(tickets=tickets, scenarios=True) as sandbox:
        _point_at(sandbox, config)
        console.print(
            f"[bold]CARE demo[/] · Zendesk sandbox at {sandbox.url} with {tickets} tickets "
            "(OAuth client credentials)\n"
        )
        first = _poll(console, "1st poll: every ticket changed in the last 30 days")
        _show_notes(console, first)
        surveys = _dispatch(console)
        sandbox.advance(61)  # the export hides the last minute: let our own updates show
        second = _poll(console, "2nd poll, a minute later: our own updates come back")
        console.print(
            f"\nSecond poll: {second.tickets} tickets re-read, "
            f"[bold]{sum(second.new_actions.values())}[/] new actions — nothing applied twice."
        )
        escalated = _tickets_tagged(sandbox, tickets, "care_escalated")
    _where(console, folder, surveys, escalated, time.monotonic() - started)


def _point_at(sandbox, config: Path) -> None:
    os.environ.update(
        {
            "CARE_CONFIG": str(config),
            "CARE_ZENDESK_URL": sandbox.url,
            "CARE_ZENDESK_CLIENT_ID": sandbox.client_id,
            "CARE_ZENDESK_CLIENT_SECRET": sandbox.client_secret,
            "CARE_SURVEY_SECRET": secrets.token_urlsafe(32),
        }
    )
    for variable in ("CARE_DATABASE_URL", "CARE_SMTP_HOST", "CARE_ZENDESK_OAUTH_TOKEN"):
        os.environ.pop(variable, None)


def _poll(console: Console, title: str) -> PollSummary:
    from care.report_text import print_poll_summary
    from flows.poll import poll_helpdesk

    console.rule(title)
    reporter = progress.TerminalReporter("zendesk") if console.is_terminal else progress.Silent()
    token = progress.install(reporter)
    try:
        summary = poll_helpdesk(helpdesk="zendesk")
    finally:
        reporter.close()
        progress.uninstall(token)
    print_poll_summary(console, summary)
    return summary


def _show_notes(console: Console, summary: PollSummary) -> None:
    console.print("\n[bold]Internal notes agents now see[/] (one per rule):")
    for rule, note in summary.examples[:4]:
        console.print(Panel(note.strip(), title=rule, title_align="left", width=100))


def _dispatch(console: Console):
    from care.report_text import print_dispatch_summary
    from flows.surveys import dispatch_surveys

    console.rule("Survey dispatch: surveys due 24 h after solve")
    result = dispatch_surveys()
    print_dispatch_summary(console, result)
    return result


def _tickets_tagged(sandbox, count: int, tag: str) -> list[str]:
    return [f"#{i}" for i in range(1, count + 1) if tag in sandbox.ticket(i)["tags"]]


def _where(console: Console, folder: Path, surveys, escalated: list[str], seconds: float) -> None:
    outbox = folder / "outbox"
    mails = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    table = Table(show_header=False, box=None)
    table.add_row("escalated tickets", ", ".join(escalated) or "none")
    table.add_row("survey e-mails", f"{len(mails)} in {outbox}/")
    if mails:
        table.add_row("first e-mail", str(mails[0]))
    table.add_row("database", str(folder / "care.db"))
    table.add_row("config used", str(folder / "care.toml"))
    table.add_row("took", f"{seconds:.0f} s")
    console.print()
    console.print(Panel(table, title="Where things are", title_align="left"))
