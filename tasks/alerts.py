"""`send-alerts`: tell the alert channels about escalations and SLA breaches.

The contract, per ticket and rule (per action key):

- An alert goes out only for an action that was *applied* to the helpdesk, of a
  rule listed in `[alerts] rules`, applied within `max_age_hours`. A dry run
  sends nothing.
- Its action-log row is the outbox: a sender claims it (two senders never hold
  the same row: `care.store.alerts`), posts it to every configured channel,
  and records `notified_at` right after the last 2xx. It is never sent again.
- A channel that fails (non-2xx, timeout, refused connection) costs one attempt
  (`notify_attempts`, `notify_error` with the reason); the next poll retries it,
  to the channels that did not take it yet only, until `max_attempts`, after
  which the row keeps its error and nothing more is sent.
- Delivery is **at least once**, not exactly once: a worker that dies between a
  channel's 2xx and the record of it leaves the claim to go stale, and the next
  poll sends that alert again. Every request therefore carries the action key
  as an `Idempotency-Key` header (and `idempotency_key` in the JSON): a receiver
  that drops a key it has seen gets each alert once. Slack and Prefect blocks
  cannot deduplicate; a repeat there needs that crash in a window of one request.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import requests
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from care.domain.alerts import Alert, delivered_channels, failure_note
from care.outbound.alert_channels import AlertChannel, DeliveryError, open_channels
from care.store import ActionRecord
from care.store.alerts import STALE_CLAIM
from tasks.context import PollContext

BATCH = 10  # alerts claimed at a time: sent well before their claim could go stale


@dataclass
class AlertResult:
    enabled: bool = False  # a channel is configured (and this is no dry run)
    sent: int = 0  # alerts now delivered to every channel
    failed: int = 0  # alerts a channel refused this run: retried by a later poll...
    given_up: int = 0  # ...except these, at their last attempt: the error stays on the row

    def add(self, other: AlertResult) -> None:
        self.enabled = self.enabled or other.enabled
        self.sent += other.sent
        self.failed += other.failed
        self.given_up += other.given_up


@task(name="send-alerts", cache_policy=NO_CACHE)
def send_alerts(ctx: PollContext, dry_run: bool = False) -> AlertResult:
    """Send the due alerts of this helpdesk, a batch at a time; stop early when a whole
    batch fails (the channel is down: the rest waits for the next poll, no attempt lost)."""
    settings = ctx.alerts
    if dry_run or not settings.enabled or not settings.rules:
        return AlertResult()
    log = get_run_logger()
    token = uuid.uuid4().hex
    result = AlertResult(enabled=True)
    tried: set[int] = set()  # a failed alert waits for the next poll
    with requests.Session() as session:
        channels = open_channels(settings, session)
        while batch := ctx.store.claim_alerts(
            ctx.helpdesk.name,
            settings.rules,
            token,
            BATCH,
            max_attempts=settings.max_attempts,
            applied_since=ctx.clock() - timedelta(hours=settings.max_age_hours),
            exclude=tried,
            now=ctx.clock(),
        ):
            tried.update(r.id for r in batch)
            done = _send_batch(ctx, batch, channels, token, log)
            result.add(done)
            if done.sent == 0:
                break
    return result


def _send_batch(
    ctx: PollContext,
    batch: Sequence[ActionRecord],
    channels: Sequence[AlertChannel],
    token: str,
    log: logging.Logger | logging.LoggerAdapter,
) -> AlertResult:
    result = AlertResult(enabled=True)
    urls = _ticket_urls(ctx, batch, log)
    deadline = time.monotonic() + STALE_CLAIM.total_seconds() / 2
    for i, record in enumerate(batch):
        if time.monotonic() > deadline:  # slow channels: hand the rest back untried
            ctx.store.release_alerts([r.id for r in batch[i:]], token=token)
            break
        alert = _alert(record, urls.get(record.ticket_id))
        done = set(delivered_channels(record.notify_error))
        errors: dict[str, str] = {}
        for channel in channels:
            if channel.name in done:
                continue
            try:
                channel.send(alert)
                done.add(channel.name)
            except DeliveryError as exc:
                errors[channel.name] = str(exc)
                log.warning(
                    "alert for %s ticket %s (%s) not delivered to %s (%s): %s",
                    alert.helpdesk,
                    alert.ticket_id,
                    alert.rule,
                    channel.name,
                    channel.target,
                    exc,
                )
        if errors:
            _failed(ctx, record, failure_note(errors, done), token, result, log)
        elif ctx.store.mark_alert_sent(record.id, ctx.clock(), token=token):
            result.sent += 1
            log.info(
                "%s ticket %s: alert sent (%s)", alert.helpdesk, alert.ticket_id, alert.headline
            )
        else:
            log.warning("alert %s sent, but another sender had taken its claim over", alert.key)
    return result


def _failed(
    ctx: PollContext,
    record: ActionRecord,
    error: str,
    token: str,
    result: AlertResult,
    log: logging.Logger | logging.LoggerAdapter,
) -> None:
    if not ctx.store.mark_alert_failed(record.id, error, token=token):
        return
    result.failed += 1
    attempts, limit = record.notify_attempts + 1, ctx.alerts.max_attempts
    if attempts >= limit:
        result.given_up += 1
        log.error("alert %s given up after %d attempts: %s", record.key, attempts, error)
    else:
        log.info(
            "alert %s: attempt %d of %d failed, the next poll retries", record.key, attempts, limit
        )


def _ticket_urls(
    ctx: PollContext, batch: Sequence[ActionRecord], log: logging.Logger | logging.LoggerAdapter
) -> dict[str, str]:
    """The agent-facing link of each ticket; an alert without one still goes out."""
    try:
        tickets = ctx.helpdesk.tickets([r.ticket_id for r in batch])
    except Exception as exc:  # the helpdesk is down: the alert matters more than its link
        log.warning("alerts go out without ticket links: %s: %s", type(exc).__name__, exc)
        return {}
    return {i: t.url for i, t in tickets.items() if t is not None and t.url}


def _alert(record: ActionRecord, url: str | None) -> Alert:
    return Alert(
        key=record.key,
        helpdesk=record.helpdesk,
        ticket_id=record.ticket_id,
        ticket_url=url,
        rule=record.rule,
        variant=record.variant,
        reason=record.reason,
        decided_at=record.created_at,
        applied_at=record.applied_at,
    )
