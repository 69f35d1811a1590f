"""Alerts as data: what the webhook, Slack and a Prefect block are told about escalations,
SLA breaches and customers answering "No, not yet" to the survey.

Pure functions only; sending lives in `care.outbound.alert_channels`, the once-per-ticket-and-rule
bookkeeping in `care.store.alerts` and `tasks.alerts` (where the delivery contract is).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from care.domain.rules.enhance import SURVEY_ANSWER
from care.domain.rules.resolve import RESPONSE_SLA, TWO_INTERACTIONS

ALERTING_RULES = (TWO_INTERACTIONS, RESPONSE_SLA, SURVEY_ANSWER)
"""The rules whose actions carry `notify`: escalations, SLA breaches (not warnings) and
unsolved survey answers (not solved ones)."""

# Channel names, as recorded in `notify_error` between attempts.
WEBHOOK, SLACK, PREFECT_BLOCK = "webhook", "slack", "prefect-block"
CHANNELS = (WEBHOOK, SLACK, PREFECT_BLOCK)

_HEADLINES = {
    (TWO_INTERACTIONS, ""): "Escalated: not solved in two interactions",
    (RESPONSE_SLA, "breached"): "Response SLA breached",
    (SURVEY_ANSWER, ""): 'Customer answered "No, not yet"',
}
OUTAGE = "care.outage"  # an alert about CARE itself, not a ticket: `outage_alert`
DIGEST = "care.report_digest"  # the weekly report's bottlenecks: `digest_alert`
_EMOJI = {
    TWO_INTERACTIONS: ":rotating_light:",
    RESPONSE_SLA: ":alarm_clock:",
    SURVEY_ANSWER: ":speech_balloon:",
}


@dataclass(frozen=True, slots=True)
class Alert:
    key: str  # the action key: unique per helpdesk, ticket, rule and variant
    helpdesk: str
    ticket_id: str
    ticket_url: str | None  # None when the ticket could not be read (deleted, helpdesk down)
    rule: str
    variant: str
    reason: str
    decided_at: datetime
    applied_at: datetime | None

    @property
    def headline(self) -> str:
        if self.rule in (OUTAGE, DIGEST):  # its variant is the headline
            return self.variant
        kind = self.variant.split(":", 1)[0]  # an SLA breach is keyed by its wait: breached:<start>
        return _HEADLINES.get((self.rule, kind)) or f"{self.rule} {self.variant}".strip()


def outage_alert(flow: str, headline: str, reason: str, now: datetime) -> Alert:
    """An alert that `flow` cannot do its work until someone acts on `reason`. Its key (the
    Idempotency-Key) is the same for the same reason, so a receiver can drop a repeat."""
    digest = hashlib.sha256(reason.encode()).hexdigest()[:16]
    return Alert(f"{OUTAGE}:{flow}:{digest}", "", "", None, OUTAGE, headline, reason, now, None)


def digest_alert(lines: Iterable[str], link: str, window: str, end: datetime, days: float) -> Alert:
    """The report's bottleneck lines and where the page is, for the alert channels. Keyed
    by the window's end date and length: a rerun that day repeats the key, so a receiver
    can drop it."""
    numbered = [f"{i}. {line}" for i, line in enumerate(lines, 1)]
    body = numbered or ["No bottleneck: nothing got worse and no group is past its target."]
    reason = "\n".join([*body, f"The report: {link}"])
    key = f"{DIGEST}:{end:%Y-%m-%d}:{days:g}d"
    return Alert(key, "", "", None, DIGEST, f"CARE report, {window}", reason, end, None)


def webhook_payload(alert: Alert) -> dict[str, Any]:
    """The generic webhook's JSON body; `idempotency_key` repeats the Idempotency-Key header."""
    return {
        "type": "care.alert",
        "idempotency_key": alert.key,
        "helpdesk": alert.helpdesk or None,
        "ticket_id": alert.ticket_id or None,
        "ticket_url": alert.ticket_url,
        "rule": alert.rule,
        "variant": alert.variant,
        "title": alert.headline,
        "reason": alert.reason,
        "decided_at": _iso(alert.decided_at),
        "applied_at": _iso(alert.applied_at),
    }


def slack_payload(alert: Alert) -> dict[str, Any]:
    """A Slack incoming-webhook message in mrkdwn, linking the ticket."""
    emoji = _EMOJI.get(alert.rule, ":bell:")
    if alert.rule in (OUTAGE, DIGEST):
        mark = ":warning:" if alert.rule == OUTAGE else ":bar_chart:"
        return {"text": f"{mark} *{_slack_escape(alert.headline)}*\n{_slack_escape(alert.reason)}"}
    ticket = f"#{_slack_escape(alert.ticket_id)}"
    if alert.ticket_url:
        ticket = f"<{_slack_escape(alert.ticket_url)}|{ticket}>"
    text = (
        f"{emoji} *{_slack_escape(alert.headline)}*: {_slack_escape(alert.helpdesk)} "
        f"ticket {ticket}\n`{alert.rule}` {_slack_escape(alert.reason)}"
    )
    return {"text": text}


def block_message(alert: Alert) -> tuple[str, str]:
    """(body, subject) in plain text for a Prefect notification block's `notify`."""
    subject = f"CARE: {alert.headline} ({alert.helpdesk} #{alert.ticket_id})"
    if alert.rule in (OUTAGE, DIGEST):
        subject = f"CARE: {alert.headline}"
    lines = [f"{alert.rule}: {alert.reason}"]
    if alert.ticket_url:
        lines.append(alert.ticket_url)
    lines.append(f"idempotency key: {alert.key}")
    return "\n".join(lines), subject


def failure_note(errors: Mapping[str, str], delivered: Iterable[str]) -> str:
    """What `notify_error` says after a failed attempt: each failing channel's error, and
    which channels already have the alert (they are not sent it again)."""
    note = "; ".join(f"{channel}: {error}" for channel, error in errors.items())
    done = [c for c in CHANNELS if c in set(delivered)]
    return f"{note}{_DELIVERED}{', '.join(done)}" if done else note


def delivered_channels(notify_error: str | None) -> frozenset[str]:
    """The channels an earlier attempt delivered to, read back from `failure_note`."""
    if not notify_error or _DELIVERED not in notify_error:
        return frozenset()
    listed = notify_error.rsplit(_DELIVERED, 1)[1].split(", ")
    return frozenset(c for c in listed if c in CHANNELS)


def mask_url(url: str) -> str:
    """A webhook URL fit for logs: scheme and host only (the path holds the token)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}/…" if parts.scheme else "…"


def scrub_urls(text: str) -> str:
    """`text` with every URL in it masked like `mask_url`."""
    return _URL.sub(lambda m: mask_url(m.group(0)), text)


_DELIVERED = " | already delivered to: "
_URL = re.compile(r"https?://[^\s'\"<>]+")


def _slack_escape(text: str) -> str:
    # Slack's control characters; nothing else may be entity-encoded.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
