"""`proactive-outreach`: act on stored product error events (`assist.proactive_outreach`).

First the contacts an earlier run left unopened (it failed, or died) are looked for in
the helpdesk and opened if missing; then the new events, a batch at a time: decided,
recorded, settled, and their tickets opened.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from prefect import flow, get_run_logger
from prefect.utilities.annotations import quote

from care.domain.faq import FaqIndex
from care.domain.notes import NoteRenderer
from care.settings.load import ConfigError, Settings, load_settings
from connectors.registry import open_helpdesk
from flows.artifacts import publish, published_on_failure
from flows.summary import escape, failure_lines
from tasks.outreach import BATCH, OutreachContext, OutreachResult, decide_batch, open_tickets
from tasks.runtime import open_store

KEY, DESCRIPTION = "proactive-outreach", "CARE proactive outreach"


@flow(name="proactive-outreach", log_prints=False)
def proactive_outreach(
    dry_run: bool = False,
    limit: int = 1000,
    config: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> OutreachResult:
    """Up to `limit` new error events. `config`: the care.toml to read (default:
    CARE_CONFIG, else ./care.toml); `overrides`: its keys for this run (never a secret)."""
    result = OutreachResult()
    with published_on_failure(KEY, DESCRIPTION, partial(markdown_summary, result, dry_run)):
        _outreach(result, dry_run, limit, load_settings(config, overrides=overrides))
    publish(KEY, markdown_summary(result, dry_run), DESCRIPTION)
    return result


def outreach_helpdesk(settings: Settings) -> str:
    """Where outreach tickets open: `[rules.proactive_outreach] helpdesk`, else the first
    configured helpdesk."""
    chosen = settings.policy.rules.proactive_outreach.helpdesk
    if chosen:
        settings.helpdesk(chosen)  # configured, or a ConfigError naming it
        return chosen
    names = settings.helpdesk_names()
    if not names:
        raise ConfigError("proactive outreach needs a helpdesk: none is configured")
    return names[0]


def _outreach(result: OutreachResult, dry_run: bool, limit: int, settings: Settings) -> None:
    log, started = get_run_logger(), time.monotonic()
    name = outreach_helpdesk(settings)
    policy = settings.policy
    with open_store(settings) as store:
        client = open_helpdesk(settings.helpdesk(name), accounts=store)
        try:
            ctx = OutreachContext(
                store=store,
                helpdesk=client,
                policy=policy,
                faq=FaqIndex.load(policy.rules.faq.catalogue),
                notes=NoteRenderer(policy.templates_dir, ref_key=store.note_ref_key()),
            )
            if not dry_run:
                left = store.claim_open_outreach(ctx.token, ctx.clock(), limit)
                if left:
                    log.info(
                        "%d contacts an earlier run left unopened: looking for them", len(left)
                    )
                    result.add(open_tickets(quote(ctx), quote(left)))
            handled = 0
            while handled < limit:
                wanted = min(BATCH, limit - handled)
                events = (
                    store.pending_error_events(wanted)
                    if dry_run
                    else store.claim_error_events(ctx.token, ctx.clock(), wanted)
                )
                if not events:
                    break
                decided, held = decide_batch(quote(ctx), quote(events), dry_run)
                result.add(decided)
                handled += len(events)
                if dry_run:
                    break  # nothing was settled: the same events would come back
                result.add(open_tickets(quote(ctx), quote(held)))
            log.info(
                "%d events: %d contacts opened, %d found open, %d failed, skipped %s",
                result.events,
                result.opened,
                result.found,
                len(result.failed),
                dict(result.skipped) or "none",
            )
        finally:
            result.requests = client.stats.snapshot()
            result.endpoints = dict(client.stats.by_endpoint)
            result.seconds = time.monotonic() - started
            client.close()


def markdown_summary(result: OutreachResult, dry_run: bool, error: str | None = None) -> str:
    lines = ["# CARE proactive outreach" + (" (dry run: nothing written)" if dry_run else ""), ""]
    if error:
        lines += failure_lines(error, "Before it stopped, this run had:")
    lines += [
        "| figure | count |",
        "|---|---:|",
        f"| error events judged | {result.events} |",
        f"| contacts decided | {result.outcomes.get('contacted', 0)} |",
        f"| tickets opened | {result.opened} |",
        f"| tickets an earlier attempt had opened, found | {result.found} |",
        f"| failed (retried by the next run) | {len(result.failed)} |",
    ]
    lines += [f"| skipped: {escape(why)} | {n} |" for why, n in sorted(result.skipped.items())]
    for key, why in sorted(result.failed.items())[:20]:
        lines.append(f"\n- contact {key[:10]}: {escape(why)}")
    return "\n".join(lines)
