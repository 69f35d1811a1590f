"""The `care` command line (SPEC §6)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

# Prefect reads these at import: quiet, offline-friendly defaults a user can override.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# Prefect gives its temporary server 20 s to start; a busy 2-core machine needs more
# (seen: "Timed out while attempting to connect to ephemeral Prefect API server").
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import typer
from rich.console import Console
from rich.markup import escape

from care.settings.load import ConfigError, Settings
from connectors.base import HelpdeskKind
from connectors.errors import AuthError, HelpdeskError
from connectors.registry import HELPDESKS

# No pretty tracebacks: `main` ends every failure with one `error:` line (--debug: all).
app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="CARE pipelines.",
    pretty_exceptions_enable=False,
)
run_app = typer.Typer(no_args_is_help=True, help="Run one flow now.")
sandbox_app = typer.Typer(no_args_is_help=True, help="Serve a helpdesk sandbox on loopback.")
app.add_typer(run_app, name="run")
app.add_typer(sandbox_app, name="sandbox")

out = Console()
err = Console(stderr=True)


DEBUG = False  # `care --debug …`: tracebacks on the console and from a failing command


@app.callback()
def _options(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks when something fails.")
    ] = False,
) -> None:
    global DEBUG
    DEBUG = debug


def quiet_prefect_shutdown() -> None:
    """Prefect's temporary server may log a harmless "Error flushing … events" with a
    traceback while it stops at the end of a command: not news for a user. And a failing
    run's traceback stays in the Prefect UI; the command's last line says what failed."""
    import logging

    from care.app.failures import hide_tracebacks_on_console

    logging.getLogger("prefect.server.services.task_run_recorder").setLevel(logging.CRITICAL)
    if not DEBUG:
        hide_tracebacks_on_console()


def _fail(message: str, code: int = 2) -> typer.Exit:
    """One `error:` line, whole however narrow the terminal, brackets and all."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _checked_settings() -> Settings:
    """The settings, or an exit naming the bad key: reported before Prefect starts."""
    from care.settings.load import load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise _fail(str(exc)) from None


@app.command()
def demo(
    tickets: Annotated[int, typer.Option(help="Tickets seeded in the sandbox.")] = 300,
    workdir: Annotated[str, typer.Option(help="Folder for the demo database and outbox.")] = (
        "care-demo"
    ),
) -> None:
    """Start the sandbox, seed it, run the flows once and show what CARE did."""
    from care.app.demo import run_demo

    quiet_prefect_shutdown()
    try:
        run_demo(out, tickets=tickets, workdir=workdir)
    except (ConfigError, HelpdeskError) as exc:
        raise _fail(str(exc)) from None


@run_app.command("poll")
def run_poll(
    helpdesk: Annotated[str, typer.Option(help="The configured helpdesk to poll.")] = "zendesk",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Evaluate only; write nothing.")
    ] = False,
) -> None:
    """One poll cycle now."""
    from care.app.progress import TerminalReporter
    from care.app.summaries import print_poll_summary
    from care.settings.load import load_settings
    from flows import progress

    try:  # a bad setting is reported before Prefect starts
        load_settings().helpdesk(helpdesk)
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    from flows.poll import poll_helpdesk

    quiet_prefect_shutdown()
    reporter = TerminalReporter(helpdesk) if err.is_terminal else progress.Silent()
    token = progress.install(reporter)
    try:
        summary = poll_helpdesk(helpdesk=helpdesk, dry_run=dry_run)
    except (ConfigError, AuthError) as exc:
        raise _fail(str(exc)) from None
    except HelpdeskError as exc:
        said = str(exc)
        prefix = "" if said.lower().startswith(helpdesk.lower()) else f"{helpdesk}: "
        raise _fail(prefix + said, code=1) from None
    finally:
        reporter.close()
        progress.uninstall(token)
    print_poll_summary(out, summary)


@run_app.command("surveys")
def run_surveys(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Decide only; send nothing.")] = False,
) -> None:
    """One survey dispatch now."""
    from care.app.summaries import print_dispatch_summary

    _checked_settings()
    from flows.surveys import dispatch_surveys

    quiet_prefect_shutdown()
    with _flow_failures():
        summary = dispatch_surveys(dry_run=dry_run)
    print_dispatch_summary(out, summary)


@run_app.command("outreach")
def run_outreach(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide only; record and open nothing.")
    ] = False,
) -> None:
    """One proactive-outreach run over the stored error events now."""
    from care.app.summaries import print_outreach_summary

    _checked_settings()
    from flows.outreach import proactive_outreach

    quiet_prefect_shutdown()
    with _flow_failures():
        result = proactive_outreach(dry_run=dry_run)
    print_outreach_summary(out, result, dry_run)


@contextmanager
def _flow_failures() -> Iterator[None]:
    """A flow's bad setting or rejected credential exits 2, a helpdesk it could not
    reach 1: each as one `error:` line."""
    try:
        yield
    except (ConfigError, AuthError) as exc:
        raise _fail(str(exc)) from None
    except HelpdeskError as exc:
        raise _fail(str(exc), code=1) from None


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@run_app.command("report")
def run_report(
    days: Annotated[int, typer.Option(min=1, help="Days up to now the report covers.")] = 7,
    compare: Annotated[
        bool, typer.Option(help="Show each key figure beside the days before, with the change.")
    ] = False,
    weeks: Annotated[
        int | None,
        typer.Option(min=0, max=104, help="Weeks of the trend (default: [report] weeks, 12)."),
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option(help="text: a summary; json: one JSON document on stdout.")
    ] = ReportFormat.TEXT,
) -> None:
    """One CARE report now: a Prefect artifact and a standalone HTML page."""
    from care.report.document import report_document
    from care.report.terminal import print_report
    from care.store import StoreError

    _checked_settings()
    from flows.report import care_report

    quiet_prefect_shutdown()
    try:
        run = care_report(days=days, weeks=weeks)
    except (ConfigError, StoreError) as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:  # the report folder cannot be written
        raise _fail(f"cannot write the report page: {exc}", code=1) from None
    if format == ReportFormat.JSON:
        document = report_document(run.report, run.html_path)
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return
    print_report(out, run.report, run.html_path, compare=compare)


@app.command("serve")
def serve(
    prefect_port: Annotated[
        int, typer.Option(help="Port of the Prefect server started when PREFECT_API_URL is unset.")
    ] = 4200,
) -> None:
    """All deployments on their schedules in this process (Prefect serve).

    With PREFECT_API_URL unset it starts a Prefect server on 127.0.0.1 itself (Prefect's
    temporary server has no scheduler) and stops it on exit.
    """
    from care.app.local_server import LocalServerError
    from care.app.serve import ServeConflict, serve_until_stopped

    settings = _checked_settings()
    if not settings.helpdesk_names():
        raise _fail(f"no helpdesk is configured: set {_URL_VARIABLES}")
    quiet_prefect_shutdown()
    try:
        serve_until_stopped(settings, prefect_port, lambda line: out.print(line, highlight=False))
    except (LocalServerError, ServeConflict) as exc:
        raise _fail(str(exc), code=1) from None
    out.print("stopped", highlight=False)


@app.command("survey-server")
def survey_server(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    host: Annotated[
        str, typer.Option(help="Address to listen on (behind a TLS-terminating proxy).")
    ] = "127.0.0.1",
) -> None:
    """The web endpoint that receives survey answers and unsubscribes."""
    import logging

    from care.settings.load import load_settings
    from care.store import StoreError
    from care.web.server import create_app
    from care.web.serving import serve

    try:
        settings = load_settings()
        survey_app = create_app(settings)
    except (ConfigError, StoreError) as exc:
        raise _fail(str(exc)) from None
    if not settings.helpdesk_names():
        err.print(
            "[yellow]warning:[/] no helpdesk is configured: answers are recorded but not "
            f"written to the tickets (set {_URL_VARIABLES})",
            highlight=False,
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    out.print(
        f"Survey answers on http://{host}:{port} (e-mail links point to "
        f"{settings.survey_base_url}) · Ctrl-C to stop",
        highlight=False,
    )
    serve(survey_app, host, port)


@app.command()
def status(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")
    ] = False,
    recent: Annotated[int, typer.Option(help="How many of the latest actions to list.")] = 10,
) -> None:
    """Polls (up to date as of when), surveys, recent and failing actions, with their retry
    times. Reads the store only: it never creates or migrates the database.

    Exit status: 0 the status was printed; 1 the database cannot be read; 2 a bad
    setting; 3 no CARE run has used this database yet (nothing to report, stdout empty).
    """
    import logging
    from datetime import UTC, datetime

    from sqlalchemy.exc import SQLAlchemyError

    from care.app.status import not_used_yet, read_status, status_json
    from care.app.status_text import print_status
    from care.settings.load import load_store_settings
    from care.store import StoreError
    from care.store.database import NotInitialised, error_line

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)  # stdout is for the report
    try:
        settings = load_store_settings()
    except ConfigError as exc:
        raise _fail(str(exc)) from None
    try:
        report = read_status(
            settings.database_url, settings.helpdesks, datetime.now(UTC), recent=recent
        )
    except NotInitialised:
        err.print(escape(not_used_yet(settings.database_url)), highlight=False)
        raise typer.Exit(3) from None
    except (StoreError, SQLAlchemyError) as exc:
        raise _fail(f"cannot read the database: {error_line(exc)}", code=1) from None
    if as_json:
        sys.stdout.write(json.dumps(status_json(report), indent=2) + "\n")
    else:
        print_status(out, report)


@app.command()
def check() -> None:
    """Validate the configuration and secrets; reach the database, each helpdesk and SMTP."""
    import logging

    from care.app.checks import Outcome, run_checks

    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    results = run_checks()
    marks = {
        Outcome.OK: "[green]✓[/]",
        Outcome.WARN: "[yellow]![/]",
        Outcome.FAIL: "[red]✗[/]",
        Outcome.SKIPPED: "[dim]-[/]",
    }
    for result in results:  # every text escaped: "[survey] sender" is not rich markup
        first, *more = result.message.splitlines() or [""]
        lines = [f"{marks[result.outcome]} {escape(f'{result.name:<20}')} {escape(first)}"]
        lines += [f"  {'':<20} {escape(line)}" for line in more]
        if result.hint and result.outcome in (Outcome.FAIL, Outcome.WARN):
            lines.append(f"  {'':<20} [dim]fix: {escape(result.hint)}[/]")
        for line in lines:  # one line each, however narrow the terminal
            out.print(line, highlight=False, soft_wrap=True)
    if any(result.outcome is Outcome.FAIL for result in results):
        raise typer.Exit(1)


PortOption = Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")]
TicketsOption = Annotated[int, typer.Option(help="Tickets to seed.")]
SeedOption = Annotated[int, typer.Option(help="Seed of the synthetic data.")]
LatencyOption = Annotated[int, typer.Option(help="Delay added to every response.")]
RateLimitOption = Annotated[
    int | None, typer.Option(help="Requests (credits) per minute before 429s (default: none).")
]
FaultOption = Annotated[
    list[str] | None,
    typer.Option(
        help="Fault for the next matching request, repeatable: 429, 500, 503, 401, "
        "conn_reset, malformed:<ticket id>, and answers lost after the write was done: "
        "lost_reset, lost_cut, lost_502, lost_garbled; add @<path prefix> to aim it."
    ),
]
RealLimitsOption = Annotated[
    bool,
    typer.Option(
        "--real-limits",
        help="Enforce the vendor's documented per-minute limits, answering 429 past them.",
    ),
]


PlanOption = Annotated[
    str | None,
    typer.Option(
        help="Plan whose limits --real-limits enforces (Freshdesk: trial, growth, pro, "
        "enterprise; default pro). Zendesk's sandbox has the Enterprise plan's."
    ),
]


def _sandbox_command(kind: HelpdeskKind, port_default: int) -> None:
    def start(
        port: PortOption = port_default,
        tickets: TicketsOption = 300,
        seed: SeedOption = 7,
        latency_ms: LatencyOption = 0,
        rate_limit: RateLimitOption = None,
        fault: FaultOption = None,
        real_limits: RealLimitsOption = False,
        plan: PlanOption = None,
    ) -> None:
        import importlib
        import inspect

        module = importlib.import_module(kind.sandbox.partition(":")[0])
        serve_forever = module.serve_forever
        limits: dict[str, object] = {"real_limits": real_limits}
        if plan is not None:
            if "plan" not in inspect.signature(serve_forever).parameters:
                raise _fail(f"--plan: the {kind.name} sandbox has one plan")
            limits["plan"] = plan
        try:
            serve_forever(port, tickets, seed, latency_ms, rate_limit, fault or (), **limits)
        except ValueError as exc:  # an unknown fault or plan
            raise _fail(str(exc)) from None

    start.__doc__ = f"A {kind.title}-compatible sandbox until Ctrl-C."
    sandbox_app.command(kind.name)(start)


_URL_VARIABLES = " or ".join(f"CARE_{name.upper()}_URL" for name in HELPDESKS)
for _port, _kind in enumerate(HELPDESKS.values(), start=8790):
    _sandbox_command(_kind, _port)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if DEBUG:
            raise
        from care.app.failures import one_line

        _fail(one_line(exc))
        sys.exit(1)
