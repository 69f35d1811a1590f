"""`care demo`: the whole product on embedded defaults, in under a minute.

Starts a Zendesk and a Freshdesk sandbox on loopback, both seeded with the same named
scenarios (sandboxes/scenarios.py) plus their own filler, points CARE at them with a
demo config, and runs poll → surveys → (agents move tickets, poll again) × 3 → an agent
answers a breached ticket (poll again: its SLA tags come off), showing
both helpdesks side by side, that nothing is applied twice, and that the scenarios got
the same decisions on both.
"""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from care.app.demo_answers import answer_one_survey
from care.app.demo_outreach import reach_out_first
from care.app.progress import TerminalReporter
from care.domain.wording import counted
from care.settings.reading import environment
from connectors.base import HelpdeskKind
from connectors.registry import HELPDESKS
from flows import progress
from flows.summary import PollSummary

SENTRY_SECRET = secrets.token_hex(32)  # this demo run's Sentry integration client secret

DEMO_CONFIG = """\
# Written by `care demo`: the defaults, plus a call-booking link for escalations.
# Relative paths are relative to this file's folder.
database_url = "sqlite:///care.db"

[rules.two_interactions]
call_booking_url = "https://calendar.example.com/support-call"

[survey]
sender = "Acme Support <support@acme.example>"
outbox_dir = "outbox"

[report]
dir = "reports"
"""


def run_demo(console: Console, tickets: int, workdir: str) -> None:
    """Every helpdesk of the registry, each in its sandbox. The settings reach the flows
    as their `config` parameter and, for the sandboxes' credentials, through
    `care.settings.reading.environment`: the process environment is left as it was."""
    started = time.monotonic()
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    for old in (*folder.glob("care.db*"), folder / "outbox", folder / "reports"):  # ours only
        shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
    config = folder / "care.toml"
    config.write_text(DEMO_CONFIG, encoding="utf-8")

    with ExitStack() as stack:
        sandboxes = {
            name: stack.enter_context(_sandbox(kind, tickets)) for name, kind in HELPDESKS.items()
        }
        stack.enter_context(environment(_pointed_at(sandboxes, config)))
        demo = Demo(console, str(config), sandboxes)
        started_on = " and ".join(
            f"{tickets} tickets in a {HELPDESKS[name].title} sandbox at {sandbox.url}"
            for name, sandbox in sandboxes.items()
        )
        console.print(f"[bold]CARE demo[/] · {started_on}\n")
        console.rule("1st poll of each helpdesk: every ticket changed in the last 30 days")
        first = {name: demo.poll(name) for name in sandboxes}
        _side_by_side(console, first)
        _show_notes(console, *next(iter(sandboxes.items())), tickets)
        with _survey_endpoint(demo.config) as server:
            surveys = _dispatch(console, demo.config)
            answer_one_survey(console, folder / "outbox", server.app.state.endpoint, sandboxes)
            name, first_sandbox = next(iter(sandboxes.items()))
            reach_out_first(console, server.url, SENTRY_SECRET, demo.config, name, first_sandbox)
        later = _agents_at_work(demo)
        later += _one_wait(demo)
        twice = tickets_noted_twice(sandboxes, tickets)
        console.print(
            f"\nLater polls: {sum(s.tickets for s in later)} tickets re-read (our own updates "
            f"come back), {sum(sum(s.new_actions.values()) for s in later)} new actions "
            + (
                "— nothing applied twice."
                if not twice
                else f"— [red]applied twice on {', '.join(twice)}[/] (a note's ref repeated)."
            )
        )
        _parity(console, folder, list(sandboxes))
        report = _report(console, folder, demo.config)
        escalated = _tickets_tagged(sandboxes, tickets, "care_escalated")
    _where(console, folder, surveys, escalated, report, time.monotonic() - started)


@dataclass(frozen=True)
class Demo:
    console: Console
    config: str  # the demo's care.toml, every flow's `config` parameter
    sandboxes: dict[str, Any]

    def poll(self, helpdesk: str, quiet: bool = False) -> PollSummary:
        return _poll(self.console, helpdesk, self.config, quiet)


def _sandbox(kind: HelpdeskKind, tickets: int) -> Any:
    """The helpdesk's sandbox (named by the registry), seeded with the shared scenarios."""
    module, _, name = kind.sandbox.partition(":")
    return getattr(importlib.import_module(module), name)(tickets=tickets, scenarios=True)


def _pointed_at(sandboxes: dict[str, Any], config: Path) -> dict[str, str]:
    """CARE_* pointing at the sandboxes; the operator's own database, SMTP server and
    credentials unset for the demo (an empty value unsets one)."""
    values = {
        "CARE_SURVEY_SECRET": secrets.token_urlsafe(32),
        "CARE_SENTRY_CLIENT_SECRET": SENTRY_SECRET,  # the demo's "Sentry" signs with it
        "CARE_DATABASE_URL": "",
        "CARE_SMTP_HOST": "",
        "CARE_SURVEY_BASE_URL": "",
        "CARE_CONFIG": str(config),
    }
    for name, sandbox in sandboxes.items():
        prefix = f"CARE_{name.upper()}_"
        values.update({var: "" for var in os.environ if var.startswith(prefix)})
        values.update(HELPDESKS[name].sandbox_settings(sandbox))
    return values


@contextmanager
def _survey_endpoint(config: str) -> Iterator[Any]:
    """`care survey-server` on a loopback port for the demo; the e-mails link to it."""
    from care.settings.load import load_settings
    from care.web.server import create_app
    from care.web.serving import SurveyServer

    server = SurveyServer(create_app(load_settings(config)))
    with server, environment({"CARE_SURVEY_BASE_URL": server.url}):
        yield server


def _poll(console: Console, helpdesk: str, config: str, quiet: bool = False) -> PollSummary:
    from flows.poll import poll_helpdesk

    live = console.is_terminal and not quiet
    reporter = TerminalReporter(helpdesk) if live else progress.Silent()
    token = progress.install(reporter)
    try:
        summary = poll_helpdesk(helpdesk=helpdesk, config=config)
    finally:
        reporter.close()
        progress.uninstall(token)
    if quiet:
        return summary
    r = summary.requests
    console.print(
        f"[bold]{helpdesk}[/]: {summary.read}, "
        f"{sum(summary.new_actions.values())} new actions, {summary.applied} applied, "
        f"{summary.failed} failed · {counted(r.get('reads', 0), 'read')}, "
        f"{counted(r.get('writes', 0), 'write')}"
    )
    return summary


def _side_by_side(console: Console, summaries: dict[str, PollSummary]) -> None:
    table = Table("rule", *summaries, title="New actions by rule", title_justify="left")
    rules = sorted({rule for s in summaries.values() for rule in s.new_actions})
    for rule in rules:
        table.add_row(rule, *(str(s.new_actions.get(rule, 0)) for s in summaries.values()))
    console.print(table)


def _show_notes(console: Console, name: str, sandbox: Any, tickets: int) -> None:
    """The fullest internal note of the poll, as an agent sees it on the ticket."""
    from care.domain.notes import refs_in

    notes = [
        (len(refs_in(body)), i, body)
        for i in range(1, tickets + 1)
        for body in sandbox.note_texts(i)
        if body.startswith("[CARE]")
    ]
    if not notes:
        return
    sections, ticket_id, body = max(notes)
    console.print(
        f"\n[bold]What an agent sees[/]: one internal note per ticket and poll, the rules' "
        f"sections most urgent first ({name} #{ticket_id}, {sections} rules):"
    )
    console.print(Panel(body.strip(), title=f"#{ticket_id}", title_align="left", width=100))


def _dispatch(console: Console, config: str):
    from care.app.summaries import print_dispatch_summary
    from flows.surveys import dispatch_surveys

    console.rule("Survey dispatch: surveys due 24 h after solve")
    result = dispatch_surveys(config=config)
    print_dispatch_summary(console, result)
    return result


def _agents_at_work(demo: Demo) -> list[PollSummary]:
    """Replay the scenario history (agents moving tickets) with a poll after each round."""
    from sandboxes.scenarios import HISTORY_ROUNDS, replay_round

    console, sandboxes = demo.console, demo.sandboxes
    console.rule("Agents move tickets between groups; CARE polls after each round")
    summaries: list[PollSummary] = []
    for round_no in range(1, HISTORY_ROUNDS + 1):
        moved = 0
        for sandbox in sandboxes.values():
            moved = replay_round(sandbox, round_no)
            sandbox.advance(61)  # Zendesk's export hides the last minute
        polls = [demo.poll(name, quiet=True) for name in sandboxes]
        summaries.extend(polls)
        new = Counter[str]()
        for s in polls:
            new.update(s.new_actions)
        decided = ", ".join(f"{rule} ×{n}" for rule, n in sorted(new.items())) or "nothing new"
        console.print(f"round {round_no}: {moved} tickets moved on each helpdesk → {decided}")
    return summaries


def _one_wait(demo: Demo) -> list[PollSummary]:
    """Follow one breached wait: an agent answers, the next poll takes the SLA tags off."""
    from sandboxes.scenarios import SCENARIOS

    console, sandboxes = demo.console, demo.sandboxes
    console.rule("One wait followed: breached, answered, cleared")
    ticket_id = SCENARIOS["sla_never_answered_30h"].ticket_id
    name, shown = next(iter(sandboxes.items()))
    tags = shown.ticket(ticket_id)["tags"]
    console.print(
        f"{name} #{ticket_id}: unanswered for 30 h → {_sla_tags(tags)}, one note, one alert"
    )
    for sandbox in sandboxes.values():
        sandbox.touch(ticket_id, agent_reply="Sorry for the wait, looking into it now.")
        sandbox.advance(61)
    polls = [demo.poll(name, quiet=True) for name in sandboxes]
    tags = shown.ticket(ticket_id)["tags"]
    console.print(
        f"an agent answers; the next poll → {_sla_tags(tags)} "
        f"({len(tags)} other tags kept). The next wait is timed afresh."
    )
    return polls


def tickets_noted_twice(sandboxes: dict, tickets: int) -> list[str]:
    """The tickets where one of CARE's note refs appears more than once: an action applied
    twice. A ref is one action's key, so each may be posted once per ticket at most."""
    from care.domain.notes import refs_in

    twice = []
    for name, sandbox in sandboxes.items():
        for i in range(1, tickets + 1):
            refs = Counter(ref for body in sandbox.note_texts(i) for ref in refs_in(body))
            if any(n > 1 for n in refs.values()):
                twice.append(f"{name} #{i}")
    return twice


def _sla_tags(tags: list[str]) -> str:
    shown = [t for t in tags if t in ("care_sla_warning", "care_sla_breached")]
    return ", ".join(shown) if shown else "no SLA tag"


def _parity(console: Console, folder: Path, helpdesks: list[str]) -> None:
    from care.store import Store
    from sandboxes.scenarios import SCENARIOS

    with Store.open(f"sqlite:///{folder / 'care.db'}") as store:
        decided = {
            name: {
                (a.ticket_id, a.rule)
                for a in store.recent_actions(limit=1_000_000)
                if a.helpdesk == name and int(a.ticket_id) <= len(SCENARIOS)
            }
            for name in helpdesks
        }
    first = decided[helpdesks[0]]
    same = all(each == first for each in decided.values())
    titles = " and ".join(HELPDESKS[name].title for name in helpdesks)
    console.print(
        f"Parity: the {len(SCENARIOS)} named scenarios got "
        + (
            f"the same {len(first)} decisions on {titles}."
            if same
            else "[red]different decisions on the helpdesks[/]."
        )
    )


def _tickets_tagged(sandboxes: dict[str, Any], count: int, tag: str) -> list[str]:
    return [
        f"{name} #{i}"
        for name, sandbox in sandboxes.items()
        for i in range(1, count + 1)
        if tag in sandbox.ticket(i)["tags"]
    ]


def _report(console: Console, folder: Path, config: str) -> Path:
    from care.report.terminal import print_report
    from flows.report import care_report

    console.rule("The CARE report: the last 7 days, per helpdesk and group")
    run = care_report(days=7, out_dir=str(folder / "reports"), config=config)
    print_report(console, run.report, run.html_path)
    return run.html_path


def _where(
    console: Console, folder: Path, surveys, escalated: list[str], report: Path, seconds: float
) -> None:
    outbox = folder / "outbox"
    mails = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    table = Table(show_header=False, box=None)
    shown = ", ".join(escalated[:8]) + (
        f" and {len(escalated) - 8} more" if len(escalated) > 8 else ""
    )
    table.add_row("escalated tickets", shown or "none")
    table.add_row("survey e-mails", f"{len(mails)} in {outbox}/")
    if mails:
        table.add_row("first e-mail", str(mails[0]))
    table.add_row("report", os.path.relpath(report))
    table.add_row("database", str(folder / "care.db"))
    table.add_row("config used", str(folder / "care.toml"))
    table.add_row("took", f"{seconds:.0f} s")
    console.print()
    console.print(Panel(table, title="Where things are", title_align="left"))
