"""`poll-helpdesk`: read changed tickets page by page; evaluate → record → apply → advance."""

from __future__ import annotations

import time
from datetime import timedelta

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.utilities.annotations import quote

from care import progress
from care.summary import PollSummary
from connectors.base import RequestStats
from tasks.alerts import send_alerts
from tasks.poll import PageResult, handle_page, read_page, settle_writes
from tasks.runtime import poll_context


# Task arguments are wrapped in `quote`: Prefect would otherwise walk every ticket of a
# page looking for futures, which costs more than the rules themselves.
@flow(name="poll-helpdesk", log_prints=False)
def poll_helpdesk(helpdesk: str = "zendesk", dry_run: bool = False) -> PollSummary:
    log = get_run_logger()
    summary = PollSummary(helpdesk=helpdesk, dry_run=dry_run)
    reporter = progress.reporter()
    started = time.monotonic()
    with poll_context(helpdesk) as (ctx, backfill_days):
        cursor = ctx.store.cursor(helpdesk)
        start = ctx.clock() - timedelta(days=backfill_days)
        if cursor is None:
            log.info("first poll of %s: backfilling from %s", helpdesk, start.isoformat())
        if not dry_run:
            ctx.store.poll_started(helpdesk)
        try:
            reporter.begin()
            upcoming = read_page.submit(quote(ctx), cursor, start)  # read ahead meanwhile
            while True:
                page = upcoming.result()
                if not page.end_of_stream:
                    upcoming = read_page.submit(quote(ctx), page.cursor, start)
                handled = handle_page(quote(ctx), quote(page), dry_run)
                summary.add(handled)
                if not dry_run:  # only once the page's actions are durably recorded
                    ctx.store.save_cursor(helpdesk, page.cursor, len(page.tickets))
                _progress(log, reporter, summary, handled, ctx.helpdesk.stats)
                if page.end_of_stream:
                    break
            summary.add(settle_writes(quote(ctx)))
            summary.add_alerts(send_alerts(quote(ctx), dry_run))  # for what is applied now
        except Exception as exc:
            if not dry_run:
                ctx.store.poll_failed(helpdesk, f"{type(exc).__name__}: {exc}")
            raise
        summary.requests = ctx.helpdesk.stats.snapshot()
        summary.endpoints = dict(ctx.helpdesk.stats.by_endpoint)
    summary.seconds = time.monotonic() - started
    create_markdown_artifact(
        key=f"poll-{helpdesk}", markdown=summary.markdown(), description="CARE poll summary"
    )
    return summary


def _progress(log, reporter, summary: PollSummary, page: PageResult, stats: RequestStats) -> None:
    reporter.page(page.tickets, sum(page.new_actions.values()), stats.rate_limit_wait_s)
    log.info(
        "page %d: %d tickets (%d in all), %d new actions (%d in all), %d requests, "
        "%.0f s rate-limit waits",
        summary.pages,
        page.tickets,
        summary.tickets,
        sum(page.new_actions.values()),
        sum(summary.new_actions.values()),
        stats.reads + stats.writes,
        stats.rate_limit_wait_s,
    )
