"""Settings: `care.toml` (path from CARE_CONFIG) + environment, validated at start.

Secrets only ever come from the environment (or Prefect Secret blocks when
`secrets = "prefect"`), never from the file; a bad key is named with the reason.
Each helpdesk's part is read by its connector (connectors/registry.py).

Precedence, highest first: a CARE_* variable, a run's `overrides` (flow parameters),
care.toml, the defaults. pydantic-settings was considered for it and not taken: it
reads one flat source per model, while CARE's variables name settings of nested tables
(CARE_ZENDESK_URL is `[zendesk] url`), secrets may come from Prefect blocks, and every
error must name the key without its value; the loader below is that precedence, spelt out.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from care.domain.alerts import ALERTING_RULES
from care.domain.policy import Policy
from care.settings.errors import ConfigError
from care.settings.file import AlertsSection, ReportSection, RetentionSection, read_config_file
from care.settings.reading import SettingsSource, current_environment
from care.settings.secrets import (
    RETENTION_DATABASE_URL,
    SecretReader,
    events_secret,
    hold_secrets,
    secret_reader,
    survey_secret,
)
from care.settings.urls import UrlError, check_database_url, public_base_url, secret_url
from connectors.registry import HELPDESKS, helpdesk_kind

DEFAULT_DATABASE_URL = "sqlite:///care.db"
DEFAULT_SURVEY_BASE_URL = "http://127.0.0.1:8765"  # `care survey-server` on this machine

__all__ = [
    "AlertSettings",
    "ConfigError",
    "RetentionSettings",
    "Settings",
    "StoreSettings",
    "load_settings",
    "load_store_settings",
    "read_config_file",
]


@dataclass(frozen=True)
class AlertSettings:
    """Where escalation alerts go (`tasks.alerts`); no channel set = no alerts."""

    webhook_url: SecretStr | None = None  # the path holds the token
    slack_webhook_url: SecretStr | None = None
    prefect_block: str | None = None  # a saved notification block, "type-slug/name"
    rules: tuple[str, ...] = ALERTING_RULES
    timeout_s: float = 10
    max_attempts: int = 5
    max_age_hours: float = 24

    def __post_init__(self) -> None:
        hold_secrets(self, "webhook_url", "slack_webhook_url")

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url or self.slack_webhook_url or self.prefect_block)


@dataclass(frozen=True)
class RetentionSettings:
    """`[report.retention]` when it names a source (care/report/retention.py reads it)."""

    csv: str | None = None  # a path; or
    query: str | None = None  # SQL run on `database_url`
    database_url: SecretStr | None = field(default=None, repr=False)  # may hold a password
    windows_days: tuple[int, ...] = (30, 90)

    def __post_init__(self) -> None:
        hold_secrets(self, "database_url")


@dataclass(frozen=True)
class Settings:
    policy: Policy
    database_url: str = field(repr=False)  # may hold a password
    backfill_days: float
    helpdesks: Mapping[str, Any] = field(default_factory=dict)  # name -> config, if set
    survey_secret: SecretStr | None = None
    sentry_client_secret: SecretStr | None = None  # verifies Sentry webhooks (SPEC §4b)
    events_secret: SecretStr | None = None  # verifies CARE's generic error events
    survey_base_url: str = DEFAULT_SURVEY_BASE_URL
    alerts: AlertSettings = AlertSettings()
    report_dir: str = "reports"  # the care-report flow's HTML pages
    report: ReportSection = field(default_factory=ReportSection)
    retention: RetentionSettings | None = None  # the report's optional customer history
    source: str = "defaults"  # where the settings came from, for messages

    def __post_init__(self) -> None:
        hold_secrets(self, "survey_secret", "sentry_client_secret", "events_secret")

    def helpdesk_names(self) -> list[str]:
        return [name for name in HELPDESKS if name in self.helpdesks]

    def helpdesk(self, name: str) -> Any:
        """The config of the helpdesk `name`, or why there is none."""
        kind = helpdesk_kind(name)
        if name not in self.helpdesks:
            raise ConfigError(
                f"{name} is not configured: set CARE_{name.upper()}_URL or [{name}] url"
            )
        return self.helpdesks[kind.name]


def load_settings(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """`overrides`: care.toml keys set by the caller (a flow run's parameters)."""
    env = current_environment() if env is None else env
    file, source = read_config_file(path, env, overrides)
    secret = secret_reader(file.secrets, env)
    return Settings(
        policy=policy_from(file, env),
        database_url=database_url(file, env, source),
        backfill_days=file.backfill_days,
        helpdesks=helpdesk_configs(file, SettingsSource(env, secret, source)),
        survey_secret=survey_secret(secret),
        sentry_client_secret=secret("CARE_SENTRY_CLIENT_SECRET"),
        events_secret=events_secret(secret),
        survey_base_url=survey_base_url(env),
        alerts=alert_settings(file.alerts, env, secret),
        report_dir=file.report.dir,
        report=file.report,
        retention=retention_settings(file.report.retention, secret),
        source=source,
    )


# The parts of the settings, each validated on its own: `care check` reports every
# part that is wrong in one pass, rather than stopping at the first like load_settings.


def helpdesk_configs(file: Any, source: SettingsSource) -> dict[str, Any]:
    """Each registered helpdesk with a URL set, read by its connector's reader."""
    configs = {name: kind.read(getattr(file, name), source) for name, kind in HELPDESKS.items()}
    return {name: config for name, config in configs.items() if config is not None}


def survey_base_url(env: Mapping[str, str]) -> str:
    """CARE_SURVEY_BASE_URL, https:// unless on loopback; the default serves this machine."""
    url = env.get("CARE_SURVEY_BASE_URL", "").strip()
    if not url:
        return DEFAULT_SURVEY_BASE_URL
    try:
        return public_base_url(url, "CARE_SURVEY_BASE_URL", "https://survey.example.com")
    except UrlError as exc:
        raise ConfigError(str(exc)) from None


def policy_from(file: Any, env: Mapping[str, str]) -> Policy:
    return Policy(
        rules=file.rules,
        tags=file.tags,
        survey=file.survey,
        business_hours=file.business_hours,
        templates_dir=env.get("CARE_TEMPLATES_DIR") or file.templates_dir,
    )


def database_url(file: Any, env: Mapping[str, str], source: str) -> str:
    """The database URL, refused with the drivers that work if the store cannot open it."""
    url = env.get("CARE_DATABASE_URL") or file.database_url or DEFAULT_DATABASE_URL
    name = "CARE_DATABASE_URL" if env.get("CARE_DATABASE_URL") else f"database_url in {source}"
    try:
        check_database_url(url, name)
    except UrlError as exc:
        raise ConfigError(str(exc)) from None
    return url


@dataclass(frozen=True)
class StoreSettings:
    """What a command that only reads the store needs (`care status`): no credential."""

    database_url: str = field(repr=False)  # may hold a password
    helpdesks: tuple[str, ...]  # those with a URL set; their credentials are not checked
    source: str


def load_store_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> StoreSettings:
    env = current_environment() if env is None else env
    file, source = read_config_file(path, env)
    urls = {
        name: env.get(f"CARE_{name.upper()}_URL") or getattr(file, name).url for name in HELPDESKS
    }
    return StoreSettings(
        database_url=database_url(file, env, source),
        helpdesks=tuple(name for name, url in urls.items() if url),
        source=source,
    )


def retention_settings(section: RetentionSection, secret: SecretReader) -> RetentionSettings | None:
    """The retention source, if one is set. The query's URL is read here but checked
    where it is used: an optional section must not keep the polls from starting."""
    if section.csv is None and section.query is None:
        return None
    url = secret(RETENTION_DATABASE_URL) if section.query is not None else None
    return RetentionSettings(
        csv=section.csv,
        query=section.query,
        database_url=url,
        windows_days=section.windows_days,
    )


def alert_settings(
    section: AlertsSection, env: Mapping[str, str], secret: SecretReader
) -> AlertSettings:
    urls = {name: secret(name) for name in ("CARE_ALERT_WEBHOOK_URL", "CARE_SLACK_WEBHOOK_URL")}
    for name, url in urls.items():
        try:  # the value holds a token: the message names the variable, never the value
            secret_url(url.get_secret_value(), name, "its token") if url else None
        except UrlError as exc:
            raise ConfigError(str(exc)) from None
    block = env.get("CARE_ALERT_PREFECT_BLOCK") or section.prefect_block
    if block and block.count("/") != 1:
        raise ConfigError(  # not shown: a webhook URL pasted here would be a secret
            "alerts.prefect_block / CARE_ALERT_PREFECT_BLOCK must be 'block-type/name' "
            "as `prefect block ls` shows it (e.g. slack-webhook/care-escalations)"
        )
    return AlertSettings(
        webhook_url=urls["CARE_ALERT_WEBHOOK_URL"],
        slack_webhook_url=urls["CARE_SLACK_WEBHOOK_URL"],
        prefect_block=block or None,
        rules=section.rules,
        timeout_s=section.timeout_s,
        max_attempts=section.max_attempts,
        max_age_hours=section.max_age_hours,
    )
