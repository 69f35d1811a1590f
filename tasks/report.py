"""What the care-report flow does besides counting: the names of groups and agents, the
retention history's figures, and the weekly digest. Plain functions the flow calls once
a report (no batches here: the counting is the store's, in SQL)."""

from __future__ import annotations

from collections.abc import Callable
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
from connectors.base import Helpdesk


def group_names(settings: Settings, store: Store) -> dict[tuple[str, str], str]:
    """(helpdesk, group id) -> name from each configured helpdesk (a request per 100
    groups); a helpdesk that cannot be asked leaves its groups shown by id."""
    return _names(settings, store, "group", lambda connector: connector.group_names())


def agent_names(settings: Settings, store: Store) -> dict[tuple[str, str], str]:
    """(helpdesk, agent id) -> display name from each configured helpdesk (a request per
    100 agents); a helpdesk that cannot be asked leaves its agents shown by id."""
    return _names(settings, store, "agent", lambda connector: connector.agent_names())


def _names(
    settings: Settings, store: Store, what: str, read: Callable[[Helpdesk], dict[str, str]]
) -> dict[tuple[str, str], str]:
    from connectors.registry import open_helpdesk

    names: dict[tuple[str, str], str] = {}
    for helpdesk in settings.helpdesk_names():
        try:
            # Names are a nicety: an outage is reported, not waited out.
            connector = open_helpdesk(settings.helpdesk(helpdesk), accounts=store, max_attempts=2)
            try:
                names.update(((helpdesk, i), n) for i, n in read(connector).items() if n)
            finally:
                connector.close()
        except Exception as exc:  # the report matters more than the names in it
            get_run_logger().warning(
                "%s %s names not read, %ss are shown by id: %s: %s",
                helpdesk,
                what,
                what,
                type(exc).__name__,
                exc,
            )
    return names


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
