"""`poll-helpdesk`: read changed tickets page by page; evaluate → record → apply → advance."""

from __future__ import annotations

import time
from datetime import timedelta

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact

from care import progress
from care.summary import PollSummary
from tasks.poll import handle_page, read_page, settle_writes
from tasks.runtime import poll_context


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
            while True:
                page = read_page(ctx, cursor, start)
                summary.add(handle_page(ctx, page, dry_run))
                if not dry_run:  # only once the page's actions are durably recorded
                    ctx.store.save_cursor(helpdesk, page.cursor, len(page.tickets))
                cursor = page.cursor
                stats = ctx.helpdesk.stats
                reporter.page(
                    len(page.tickets), sum(summary.new_actions.values()), stats.rate_limit_wait_s
                )
                log.info(
                    "page %d: %d tickets (%d in all), %d new actions, %d requests",
                    summary.pages,
                    len(page.tickets),
                    summary.tickets,
                    sum(summary.new_actions.values()),
                    stats.reads + stats.writes,
                )
                if page.end_of_stream:
                    break
            summary.add(settle_writes(ctx))
        except Exception as exc:
            if not dry_run:
                ctx.store.poll_failed(helpdesk, f"{type(exc).__name__}: {exc}")
            raise
        summary.requests = ctx.helpdesk.stats.snapshot()
    summary.seconds = time.monotonic() - started
    create_markdown_artifact(
        key=f"poll-{helpdesk}", markdown=summary.markdown(), description="CARE poll summary"
    )
    return summary
