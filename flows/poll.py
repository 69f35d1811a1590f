"""`poll-helpdesk`: read changed tickets page by page; evaluate → record → apply → advance."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from care.settings.load import Settings, load_settings
from connectors.base import RequestStats
from flows import progress
from flows.artifacts import publish, published_on_failure
from flows.summary import PollSummary
from tasks.alerts import send_alerts
from tasks.context import PollContext
from tasks.poll import handle_page, read_page, settle_writes
from tasks.runtime import poll_context

DESCRIPTION = "CARE poll summary"


@flow(name="poll-helpdesk", log_prints=False)
def poll_helpdesk(
    helpdesk: str = "zendesk",
    dry_run: bool = False,
    config: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> PollSummary:
    """`config`: the care.toml to read (default: CARE_CONFIG, else ./care.toml);
    `overrides`: care.toml keys for this run over the file's (never a secret)."""
    summary = PollSummary(helpdesk=helpdesk, dry_run=dry_run)
    key = f"poll-{helpdesk}"
    with published_on_failure(key, DESCRIPTION, summary.markdown):
        _poll(summary, load_settings(config, overrides=overrides))
    publish(key, summary.markdown(), DESCRIPTION)
    return summary


def _poll(summary: PollSummary, settings: Settings) -> None:
    """Fill `summary` as the pages go: a run that fails midway still shows how far it got."""
    helpdesk, dry_run = summary.helpdesk, summary.dry_run
    started = time.monotonic()
    try:
        with poll_context(helpdesk, settings) as (ctx, backfill_days):
            cursor = ctx.store.cursor(helpdesk)
            start = ctx.clock() - timedelta(days=backfill_days)
            if cursor is None:
                get_run_logger().info(
                    "first poll of %s: backfilling from %s", helpdesk, start.isoformat()
                )
            if not dry_run:
                ctx.store.poll_started(helpdesk)
            try:
                _pages(ctx, summary, cursor, start)
                summary.add(settle_writes(quote(ctx)))
                summary.add_alerts(send_alerts(quote(ctx), dry_run))  # for what is applied now
            except Exception as exc:
                if not dry_run:
                    ctx.store.poll_failed(helpdesk, f"{type(exc).__name__}: {exc}")
                raise
            finally:
                summary.requests = ctx.helpdesk.stats.snapshot()
                summary.endpoints = dict(ctx.helpdesk.stats.by_endpoint)
    finally:
        summary.seconds = time.monotonic() - started


# Task arguments are wrapped in `quote`: Prefect would otherwise walk every ticket of a
# page looking for futures, which costs more than the rules themselves.
def _pages(ctx: PollContext, summary: PollSummary, cursor: str | None, start: datetime) -> None:
    log, reporter, dry_run = get_run_logger(), progress.reporter(), summary.dry_run
    reporter.begin()
    upcoming = read_page.submit(quote(ctx), cursor, start)  # read ahead meanwhile
    while True:
        page = upcoming.result()
        if not page.end_of_stream:
            upcoming = read_page.submit(quote(ctx), page.cursor, start)
        handled = handle_page(quote(ctx), quote(page), dry_run)
        before = summary.tickets
        summary.add(handled, (t.id for t in page.tickets))
        if not dry_run:  # only once the page's actions are durably recorded
            ctx.store.save_cursor(
                summary.helpdesk, page.cursor, len(page.tickets), end_of_stream=page.end_of_stream
            )
        actions = sum(handled.new_actions.values())
        _progress(log, reporter, summary, summary.tickets - before, actions, ctx.helpdesk.stats)
        if page.end_of_stream:
            return


def _progress(
    log, reporter, summary: PollSummary, tickets: int, actions: int, stats: RequestStats
) -> None:
    """`tickets`: the page's tickets not read before in this run."""
    reporter.page(tickets, actions, stats.rate_limit_wait_s)
    log.info(
        "page %d: %d tickets (%d in all), %d new actions (%d in all), %d requests, "
        "%.0f s rate-limit waits",
        summary.pages,
        tickets,
        summary.tickets,
        actions,
        sum(summary.new_actions.values()),
        stats.reads + stats.writes,
        stats.rate_limit_wait_s,
    )
