"""`care-report`: the CARE report of the last `days` days beside the days before, with the
weekly trend, per helpdesk, group and agent, as a Prefect artifact and a standalone HTML
page (what each figure counts: `care.domain.figures`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from care.domain.metrics import Thresholds
from care.domain.periods import ReportPeriods
from care.domain.report import Report, report_from_scopes
from care.report.html import write_html
from care.report.markdown import render_markdown
from care.settings.load import Settings, load_settings
from flows.artifacts import publish, published_on_failure
from flows.summary import escape, failure_lines
from tasks.context import utc_now
from tasks.report import helpdesk_names, retention_figures, send_digest
from tasks.runtime import open_store


@dataclass(frozen=True)
class ReportRun:
    report: Report
    html_path: Path  # the standalone page
    markdown: str  # the artifact's text
    digest_errors: dict[str, str] | None = None  # channel -> error; None: no digest sent


KEY, DESCRIPTION = "care-report", "CARE report"


@flow(name="care-report", log_prints=False)
def care_report(
    days: int = 7,
    weeks: int | None = None,
    out_dir: str | None = None,
    digest: bool = False,
    config: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> ReportRun:
    """Report on the `days` days up to now beside the `days` before, with a trend of
    `weeks` weeks (default: `[report] weeks`, 12); the page goes to `out_dir`, by default
    `[report] dir` of care.toml ("reports"). `digest`: also send the bottleneck lines and
    the page's link to the alert channels (the weekly digest). `config`: the care.toml to
    read (default: CARE_CONFIG, else ./care.toml); `overrides`: its keys for this run
    (never a secret)."""
    done: list[str] = []  # the steps a failed run got through, for its artifact
    with published_on_failure(KEY, DESCRIPTION, partial(failed_markdown, done)):
        settings = load_settings(config, overrides=overrides)
        run = _report(days, weeks, out_dir, done, settings)
        if digest:
            run = replace(run, digest_errors=send_digest(run.report, run.html_path, settings))
            done.append("sent the digest")
    publish(KEY, run.markdown, DESCRIPTION)
    get_run_logger().info(
        "care-report: %d tickets, %d surveys sent; page %s",
        run.report.overall.metrics.tickets,
        run.report.overall.metrics.surveys_sent,
        run.html_path,
    )
    return run


def _report(
    days: int, weeks: int | None, out_dir: str | None, done: list[str], settings: Settings
) -> ReportRun:
    if days < 1:
        raise ValueError(f"days must be 1 or more, got {days}")
    if weeks is not None and not 0 <= weeks <= 104:
        raise ValueError(f"weeks must be 0 to 104, got {weeks}")
    options = settings.report
    thresholds = Thresholds.from_policy(settings.policy, options.came_back_days)
    periods = ReportPeriods(utc_now(), days, options.weeks if weeks is None else weeks)
    with open_store(settings) as store:
        scopes = store.report_scopes(periods, thresholds)
        outcomes = store.report_outcomes(periods, thresholds)
        done.append(f"read the counts of {len(scopes)} scopes")
        names = helpdesk_names(settings, store)
        link_days = settings.policy.rules.proactive_outreach.link_days
        outreach = store.outreach_activity(periods.start, periods.end, link_days)
        store_contacts = partial(store.report_contacts, periods, thresholds)
        retention, retention_error = retention_figures(settings, store_contacts)
    report = report_from_scopes(
        scopes,
        periods.start,
        periods.end,
        thresholds,
        trend=periods.trend,
        group_names=names.groups,
        agent_names=names.agents,
        outreach=outreach,
        outcomes=outcomes,
        min_tickets=options.min_tickets,
    )
    report = replace(report, retention=retention, retention_error=retention_error)
    done.append(f"computed the metrics of {report.overall.metrics.tickets} tickets")
    folder = Path(out_dir or settings.report_dir)
    path = write_html(report, folder, settings.policy.templates_dir).resolve()
    done.append(f"wrote the HTML page {path}")
    return ReportRun(report, path, render_markdown(report, page=path))


def failed_markdown(done: list[str], error: str) -> str:
    """The artifact of a report run that failed: why, and the steps it got through."""
    steps = [f"- {escape(step)}" for step in done] or ["- nothing yet"]
    return "\n".join(
        ["# CARE report", "", *failure_lines(error, "Before it stopped, this run had:"), *steps]
    )
