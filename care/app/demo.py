"""`care demo`: the whole product on embedded defaults, in under a minute.

Starts a Zendesk and a Freshdesk sandbox on loopback, both seeded with the same named
scenarios (sandboxes/scenarios.py) plus their own filler, points CARE at them with a
demo config, and runs poll → surveys → (agents move tickets, poll again) × 3 → an agent
answers a breached ticket (poll again: its SLA tags come off), showing
both helpdesks side by side, that nothing is applied twice, and that the scenarios got
the same decisions on both.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from care.app.demo_answers import answer_one_survey
from care.domain.wording import counted
from flows import progress
from flows.summary import PollSummary

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


HELPDESKS = ("zendesk", "freshdesk")


def run_demo(console: Console, tickets: int, workdir: str) -> None:
    from sandboxes.freshdesk import FreshdeskSandbox
    from sandboxes.zendesk import ZendeskSandbox

    started = time.monotonic()
    folder = Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    for old in (*folder.glob("care.db*"), folder / "outbox", folder / "reports"):  # ours only
        shutil.rmtree(old) if old.is_dir() else old.unlink(missing_ok=True)
    config = folder / "care.toml"
    config.write_text(DEMO_CONFIG, encoding="utf-8")

    with (
        ZendeskSandbox(tickets=tickets, scenarios=True) as zendesk,
        FreshdeskSandbox(tickets=tickets, scenarios=True) as freshdesk,
    ):
        _point_at(zendesk, freshdesk, config)
        console.print(
            f"[bold]CARE demo[/] · {tickets} tickets in a Zendesk sandbox at {zendesk.url} "
            f"(OAuth client credentials) and {tickets} in a Freshdesk sandbox at {freshdesk.url}\n"
        )
        console.rule("1st poll of each helpdesk: every ticket changed in the last 30 days")
        first = {name: _poll(console, name) for name in HELPDESKS}
        _side_by_side(console, first)
        _show_notes(console, zendesk, tickets)
        with _survey_endpoint() as endpoint:
            surveys = _dispatch(console)
            sandboxes = {"zendesk": zendesk, "freshdesk": freshdesk}
            answer_one_survey(console, folder / "outbox", endpoint, sandboxes)
        later = _agents_at_work(console, {"zendesk": zendesk, "freshdesk": freshdesk})
        later += _one_wait(console, {"zendesk": zendesk, "freshdesk": freshdesk})
        twice = tickets_noted_twice({"zendesk": zendesk, "freshdesk": freshdesk}, tickets)
        console.print(
            f"\nLater polls: {sum(s.tickets for s in later)} tickets re-read (our own updates "
            f"come back), {sum(sum(s.new_actions.values()) for s in later)} new actions "
            + (
                "— nothing applied twice."
                if not twice
                else f"— [red]applied twice on {', '.join(twice)}[/] (a note's ref repeated)."
            )
        )
        _parity(console, folder)
        report = _report(console, folder)
        escalated = _tickets_tagged(zendesk, freshdesk, tickets, "care_escalated")
    _where(console, folder, surveys, escalated, report, time.monotonic() - started)


@contextmanager
def _survey_endpoint() -> Iterator[Any]:
    """`care survey-server` on a loopback port for the demo; the e-mails link to it."""
    from care.settings.load import load_settings
    from care.web.server import create_app
    from care.web.serving import SurveyServer

    with SurveyServer(create_app(load_settings())) as server:
        os.environ["CARE_SURVEY_BASE_URL"] = server.url
        yield server.app.state.endpoint


def _point_at(zendesk, freshdesk, config: Path) -> None:
    os.environ.update(
        {
            "CARE_CONFIG": str(config),
            "CARE_ZENDESK_URL": zendesk.url,
            "CARE_ZENDESK_CLIENT_ID": zendesk.client_id,
            "CARE_ZENDESK_CLIENT_SECRET": zendesk.client_secret,
            "CARE_FRESHDESK_URL": freshdesk.url,
            "CARE_FRESHDESK_API_KEY": freshdesk.api_key,
            "CARE_SURVEY_SECRET": secrets.token_urlsafe(32),
        }
    )
    for variable in (
        "CARE_DATABASE_URL",
        "CARE_SMTP_HOST",
        "CARE_ZENDESK_OAUTH_TOKEN",
        "CARE_SURVEY_BASE_URL",
    ):
        os.environ.pop(variable, None)


def _poll(console: Console, helpdesk: str, quiet: bool = False) -> PollSummary:
    from flows.poll import poll_helpdesk

    live = console.is_terminal and not quiet
    reporter = progress.TerminalReporter(helpdesk) if live else progress.Silent()
    token = progress.install(reporter)
    try:
        summary = poll_helpdesk(helpdesk=helpdesk)
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


def _show_notes(console: Console, zendesk: Any, tickets: int) -> None:
    """The fullest internal note of the poll, as an agent sees it on the ticket."""
    from care.domain.notes import refs_in

    notes = [
        (len(refs_in(c["body"])), i, c["body"])
        for i in range(1, tickets + 1)
        for c in zendesk.comments(i)
        if not c["public"] and c["body"].startswith("[CARE]")
    ]
    if not notes:
        return
    sections, ticket_id, body = max(notes)
    console.print(
        f"\n[bold]What an agent sees[/]: one internal note per ticket and poll, the rules' "
        f"sections most urgent first (zendesk #{ticket_id}, {sections} rules):"
    )
    console.print(Panel(body.strip(), title=f"#{ticket_id}", title_align="left", width=100))


def _dispatch(console: Console):
    from care.app.summaries import print_dispatch_summary
    from flows.surveys import dispatch_surveys

    console.rule("Survey dispatch: surveys due 24 h after solve")
    result = dispatch_surveys()
    print_dispatch_summary(console, result)
    return result


def _agents_at_work(console: Console, sandboxes: dict) -> list[PollSummary]:
    """Replay the scenario history (agents moving tickets) with a poll after each round."""
    from sandboxes.scenarios import HISTORY_ROUNDS, replay_round

    console.rule("Agents move tickets between groups; CARE polls after each round")
    summaries: list[PollSummary] = []
    for round_no in range(1, HISTORY_ROUNDS + 1):
        moved = 0
        for sandbox in sandboxes.values():
            moved = replay_round(sandbox, round_no)
            sandbox.advance(61)  # Zendesk's export hides the last minute
        polls = [_poll(console, name, quiet=True) for name in sandboxes]
        summaries.extend(polls)
        new = Counter[str]()
        for s in polls:
            new.update(s.new_actions)
        decided = ", ".join(f"{rule} ×{n}" for rule, n in sorted(new.items())) or "nothing new"
        console.print(f"round {round_no}: {moved} tickets moved on each helpdesk → {decided}")
    return summaries


def _one_wait(console: Console, sandboxes: dict) -> list[PollSummary]:
    """Follow one breached wait: an agent answers, the next poll takes the SLA tags off."""
    from sandboxes.scenarios import SCENARIOS

    console.rule("One wait followed: breached, answered, cleared")
    ticket_id = SCENARIOS["sla_never_answered_30h"].ticket_id
    zendesk = sandboxes["zendesk"]
    tags = zendesk.ticket(ticket_id)["tags"]
    console.print(
        f"zendesk #{ticket_id}: unanswered for 30 h → {_sla_tags(tags)}, one note, one alert"
    )
    for sandbox in sandboxes.values():
        sandbox.touch(ticket_id, agent_reply="Sorry for the wait, looking into it now.")
        sandbox.advance(61)
    polls = [_poll(console, name, quiet=True) for name in sandboxes]
    tags = zendesk.ticket(ticket_id)["tags"]
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
            if name == "zendesk":
                bodies = [c["body"] for c in sandbox.comments(i)]
            else:
                bodies = [n.get("body_text") or n.get("body") or "" for n in sandbox.notes(i)]
            refs = Counter(ref for body in bodies for ref in refs_in(body))
            if any(n > 1 for n in refs.values()):
                twice.append(f"{name} #{i}")
    return twice


def _sla_tags(tags: list[str]) -> str:
    shown = [t for t in tags if t in ("care_sla_warning", "care_sla_breached")]
    return ", ".join(shown) if shown else "no SLA tag"


def _parity(console: Console, folder: Path) -> None:
    from care.store import Store
    from sandboxes.scenarios import SCENARIOS

    with Store.open(f"sqlite:///{folder / 'care.db'}") as store:
        decided = {
            name: {
                (a.ticket_id, a.rule)
                for a in store.recent_actions(limit=1_000_000)
                if a.helpdesk == name and int(a.ticket_id) <= len(SCENARIOS)
            }
            for name in HELPDESKS
        }
    same = decided["zendesk"] == decided["freshdesk"]
    console.print(
        f"Parity: the {len(SCENARIOS)} named scenarios got "
        + (
            f"the same {len(decided['zendesk'])} decisions on Zendesk and Freshdesk."
            if same
            else "[red]different decisions on the two helpdesks[/]."
        )
    )


def _tickets_tagged(zendesk, freshdesk, count: int, tag: str) -> list[str]:
    return [
        f"{name} #{i}"
        for name, sandbox in (("zendesk", zendesk), ("freshdesk", freshdesk))
        for i in range(1, count + 1)
        if tag in sandbox.ticket(i)["tags"]
    ]


def _report(console: Console, folder: Path) -> Path:
    from care.report.terminal import print_report
    from flows.report import care_report

    console.rule("The CARE report: the last 7 days, per helpdesk and group")
    run = care_report(days=7, out_dir=str(folder / "reports"))
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
