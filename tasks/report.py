"""What the care-report flow does besides counting: the names of groups and agents, the
retention history's figures, and the weekly digest. Plain functions the flow calls once
a report (no batches here: the counting is the store's, in SQL)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from prefect import get_run_logger

from care.domain.alerts import digest_alert
from care.domain.insights import bottlenecks
from care.domain.report import Report
from care.domain.retention import RetentionFigures, SupportContact, retention_outcomes
from care.domain.scopes import SPLITS, Happened
from care.outbound.alert_channels import open_channel_names, send_everywhere
from care.report.format import window
from care.report.retention import RetentionError, retention_from_settings
from care.settings.load import ConfigError, Settings
from care.store import Store


@dataclass(frozen=True)
class HelpdeskNames:
    """(helpdesk, id) -> the name the helpdesk gives, of groups and of agents."""

    groups: dict[tuple[str, str], str] = field(default_factory=dict)
    agents: dict[tuple[str, str], str] = field(default_factory=dict)


def helpdesk_names(settings: Settings, store: Store) -> HelpdeskNames:
    """Group and agent names from each configured helpdesk, each opened once (a request
    per 100 groups and per 100 agents); a list that cannot be read leaves its ids shown."""
    from connectors.registry import open_helpdesk

    found = HelpdeskNames()
    for helpdesk in settings.helpdesk_names():
        try:
            # Names are a nicety: an outage is reported, not waited out.
            connector = open_helpdesk(settings.helpdesk(helpdesk), accounts=store, max_attempts=2)
        except Exception as exc:  # the report matters more than the names in it
            _not_read(helpdesk, "group and agent", exc)
            continue
        try:
            for what, read, into in (
                ("group", connector.group_names, found.groups),
                ("agent", connector.agent_names, found.agents),
            ):
                try:
                    into.update(((helpdesk, i), n) for i, n in read().items() if n)
                except Exception as exc:
                    _not_read(helpdesk, what, exc)
        finally:
            connector.close()
    return found


def _not_read(helpdesk: str, what: str, exc: Exception) -> None:
    get_run_logger().warning(
        "%s %s names not read, shown by id: %s: %s", helpdesk, what, type(exc).__name__, exc
    )


def retention_figures(
    settings: Settings, contacts: Callable[[], list[tuple[str | None, datetime, Happened]]]
) -> tuple[RetentionFigures | None, str | None]:
    """Repurchase and churn after the window's solved tickets, when `[report.retention]`
    names a history; a history that cannot be read is reported, not fatal (the rest of the
    report stands)."""
    try:
        data = retention_from_settings(settings)
    except RetentionError as exc:
        get_run_logger().warning("retention history not read: %s", exc)
        return None, str(exc)
    if data is None or settings.retention is None:
        return None, None
    support = [
        SupportContact(email, at, {name: happened.of(name) for name in SPLITS})
        for email, at, happened in contacts()
    ]
    return retention_outcomes(support, data, settings.retention.windows_days), None


def send_digest(report: Report, page: Path, settings: Settings) -> dict[str, str]:
    """The bottleneck lines and the page's link to every alert channel; each failing
    channel's error. No channel, or every channel failing: the run fails, so the
    missing digest shows in the Prefect UI."""
    if not settings.alerts.enabled:
        raise ConfigError(
            "the digest has nowhere to go: set CARE_SLACK_WEBHOOK_URL, CARE_ALERT_WEBHOOK_URL "
            "or [alerts] prefect_block"
        )
    base = settings.report.base_url
    link = base + page.name if base else str(page)
    lines = [b.line for b in bottlenecks(report)]
    alert = digest_alert(lines, link, window(report), report.end, report.days)
    errors = send_everywhere(settings.alerts, alert)
    log = get_run_logger()
    for channel, error in errors.items():
        log.warning("digest not delivered to %s: %s", channel, error)
    if errors and len(errors) == len(open_channel_names(settings)):
        raise RuntimeError(f"the digest reached no channel: {'; '.join(errors.values())}")
    return errors
