"""Configuration: `care.toml` (path from CARE_CONFIG) + environment, validated at start.

Secrets only ever come from the environment (or Prefect Secret blocks when
`secrets = "prefect"`), never from the file; a bad key is named with the reason.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from care.domain.alerts import ALERTING_RULES
from care.domain.policy import BusinessHours, Policy, Rules, Survey, Tags, looks_like_a_rule
from care.settings.errors import ConfigError, explain
from care.settings.paths import anchor_paths
from care.settings.secrets import (
    SecretReader,
    as_secret,
    refuse_secrets,
    secret_reader,
    survey_secret,
)
from care.settings.urls import (
    UrlError,
    check_database_url,
    helpdesk_base_url,
    public_base_url,
    secret_url,
)

DEFAULT_CONFIG = "care.toml"
DEFAULT_DATABASE_URL = "sqlite:///care.db"
DEFAULT_SURVEY_BASE_URL = "http://127.0.0.1:8765"  # `care survey-server` on this machine

# Requests a minute (Zendesk) or credits a minute (Freshdesk): the largest plans allow a
# few thousand; far above that is a typo, not a budget.
MAX_API_BUDGET = 100_000


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ZendeskSection(_Section):
    url: str | None = None
    per_page: int = Field(1000, ge=1, le=1000)
    oauth_scope: str = "read write"
    oauth_token_lifetime_s: int = Field(3600, gt=300, lt=172800)  # as Zendesk documents it
    api_budget_per_minute: int = Field(0, ge=0, le=MAX_API_BUDGET)  # 0: not shared


CustomStatus = Literal["open", "pending", "hold", "solved"]


class FreshdeskSection(_Section):
    url: str | None = None
    api_budget_per_minute: int = Field(0, ge=0, le=MAX_API_BUDGET)  # credits; 0: not shared
    # Custom status codes (6 and up) as CARE reads them; Freshdesk's stock ones are
    # 6 "Waiting on Customer" and 7 "Waiting on Third Party". Others count as open.
    custom_statuses: dict[str, CustomStatus] = Field(
        default_factory=lambda: {"6": "pending", "7": "hold"}
    )

    @field_validator("custom_statuses")
    @classmethod
    def _codes_are_custom(cls, value: dict[str, CustomStatus]) -> dict[str, CustomStatus]:
        for code in value:
            if not code.isdigit() or not 6 <= int(code) <= 2**31 - 1:
                raise ValueError(f"{code!r} is not a custom status code (6 and up)")
        return value


class AlertsSection(_Section):
    rules: tuple[str, ...] = ALERTING_RULES  # which of the notifying rules alert
    timeout_s: float = Field(10, gt=0, le=60)
    max_attempts: int = Field(5, ge=1, le=100)  # failed tries before an alert is given up
    max_age_hours: float = Field(24, gt=0, le=24 * 30)  # applied longer ago: never alerted
    prefect_block: str | None = None  # "slack-webhook/care-escalations"

    @field_validator("rules")
    @classmethod
    def _rules_that_notify(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for rule in value:
            if rule not in ALERTING_RULES:
                named = repr(rule) if looks_like_a_rule(rule) else "an item"
                raise ValueError(f"{named} raises no alerts (only {', '.join(ALERTING_RULES)})")
        return value


class ReportSection(_Section):
    dir: str = "reports"  # where `care-report` writes its HTML page


class ConfigFile(_Section):
    database_url: str | None = None
    backfill_days: float = Field(30, gt=0, le=3650)
    secrets: Literal["env", "prefect"] = "env"
    templates_dir: str | None = None
    zendesk: ZendeskSection = ZendeskSection()
    freshdesk: FreshdeskSection = FreshdeskSection()
    rules: Rules = Rules()
    tags: Tags = Tags()
    survey: Survey = Survey()
    business_hours: BusinessHours | None = None
    alerts: AlertsSection = AlertsSection()
    report: ReportSection = ReportSection()


def _hold_secrets(config: object, *names: str) -> None:
    """Wraps the str secrets a caller passed (tests, the demo) as `SecretStr`."""
    for name in names:
        object.__setattr__(config, name, as_secret(getattr(config, name)))


@dataclass(frozen=True)
class ZendeskConfig:
    url: str
    client_id: str | None = None
    client_secret: SecretStr | None = None
    oauth_token: SecretStr | None = None
    email: str | None = None
    api_token: SecretStr | None = None
    per_page: int = 1000
    oauth_scope: str = "read write"
    oauth_token_lifetime_s: int = 3600
    api_budget_per_minute: int = 0

    def __post_init__(self) -> None:
        _hold_secrets(self, "client_secret", "oauth_token", "api_token")

    @property
    def auth_method(self) -> str:
        if self.client_id and self.client_secret:
            return "oauth-client-credentials"
        if self.oauth_token:
            return "oauth-token"
        if self.email and self.api_token:
            return "api-token"
        return "none"


@dataclass(frozen=True)
class FreshdeskConfig:
    url: str
    api_key: SecretStr
    custom_statuses: Mapping[int, str] = field(default_factory=dict)
    api_budget_per_minute: int = 0

    def __post_init__(self) -> None:
        _hold_secrets(self, "api_key")


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
        _hold_secrets(self, "webhook_url", "slack_webhook_url")

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url or self.slack_webhook_url or self.prefect_block)


@dataclass(frozen=True)
class Settings:
    policy: Policy
    database_url: str = field(repr=False)  # may hold a password
    backfill_days: float
    zendesk: ZendeskConfig | None
    freshdesk: FreshdeskConfig | None = None
    survey_secret: SecretStr | None = None
    survey_base_url: str = DEFAULT_SURVEY_BASE_URL
    alerts: AlertSettings = AlertSettings()
    report_dir: str = "reports"  # the care-report flow's HTML pages
    source: str = "defaults"  # where the settings came from, for messages

    def __post_init__(self) -> None:
        _hold_secrets(self, "survey_secret")

    def helpdesk_names(self) -> list[str]:
        return [name for name in ("zendesk", "freshdesk") if getattr(self, name)]


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    env = os.environ if env is None else env
    file, source = read_config_file(path, env)
    secret = secret_reader(file.secrets, env)
    return Settings(
        policy=policy_from(file, env),
        database_url=database_url(file, env, source),
        backfill_days=file.backfill_days,
        zendesk=zendesk_config(file.zendesk, env, secret, source),
        freshdesk=freshdesk_config(file.freshdesk, env, secret, source),
        survey_secret=survey_secret(secret),
        survey_base_url=survey_base_url(env),
        alerts=alert_settings(file.alerts, env, secret),
        report_dir=file.report.dir,
        source=source,
    )


# The parts of the settings, each validated on its own: `care check` reports every
# part that is wrong in one pass, rather than stopping at the first like load_settings.


def survey_base_url(env: Mapping[str, str]) -> str:
    """CARE_SURVEY_BASE_URL, https:// unless on loopback; the default serves this machine."""
    url = env.get("CARE_SURVEY_BASE_URL", "").strip()
    if not url:
        return DEFAULT_SURVEY_BASE_URL
    try:
        return public_base_url(url, "CARE_SURVEY_BASE_URL", "https://survey.example.com")
    except UrlError as exc:
        raise ConfigError(str(exc)) from None


def policy_from(file: ConfigFile, env: Mapping[str, str]) -> Policy:
    return Policy(
        rules=file.rules,
        tags=file.tags,
        survey=file.survey,
        business_hours=file.business_hours,
        templates_dir=env.get("CARE_TEMPLATES_DIR") or file.templates_dir,
    )


def database_url(file: ConfigFile, env: Mapping[str, str], source: str) -> str:
    """The database URL, refused with the drivers that work if the store cannot open it."""
    url = env.get("CARE_DATABASE_URL") or file.database_url or DEFAULT_DATABASE_URL
    name = "CARE_DATABASE_URL" if env.get("CARE_DATABASE_URL") else f"database_url in {source}"
    try:
        check_database_url(url, name)
    except UrlError as exc:
        raise ConfigError(str(exc)) from None
    return url


def read_config_file(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> tuple[ConfigFile, str]:
    """The config file (`path`, else CARE_CONFIG, else ./care.toml) validated, and where it
    came from ("defaults" when there is none). Reads no other variable and no secret."""
    env = os.environ if env is None else env
    config_path = Path(path or env.get("CARE_CONFIG") or DEFAULT_CONFIG)
    raw: dict[str, Any] = {}
    source = "defaults"
    if config_path.exists():
        raw = _read_toml(config_path)
        source = str(config_path)
    elif path or env.get("CARE_CONFIG"):
        named_by = " (named by CARE_CONFIG)" if not path else ""
        raise ConfigError(f"config file {config_path} does not exist{named_by}")
    refuse_secrets(raw, source)
    try:
        file = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(explain(exc, source, ConfigFile)) from None
    return (anchor_paths(file, config_path.parent) if raw else file), source


@dataclass(frozen=True)
class StoreSettings:
    """What a command that only reads the store needs (`care status`): no credential."""

    database_url: str = field(repr=False)  # may hold a password
    helpdesks: tuple[str, ...]  # those with a URL set; their credentials are not checked
    source: str


def load_store_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> StoreSettings:
    env = os.environ if env is None else env
    file, source = read_config_file(path, env)
    urls = {"zendesk": env.get("CARE_ZENDESK_URL") or file.zendesk.url}
    urls["freshdesk"] = env.get("CARE_FRESHDESK_URL") or file.freshdesk.url
    return StoreSettings(
        database_url=database_url(file, env, source),
        helpdesks=tuple(name for name, url in urls.items() if url),
        source=source,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def _base_url(name: str, section_url: str | None, env: Mapping[str, str], source: str) -> str:
    """The helpdesk's base URL from CARE_<NAME>_URL or the file ("" when unset)."""
    variable = f"CARE_{name.upper()}_URL"
    url = env.get(variable) or section_url or ""
    setting = variable if env.get(variable) else f"{name}.url in {source}"
    try:
        return url and helpdesk_base_url(url, setting, f"https://acme.{name}.com")
    except UrlError as exc:
        raise ConfigError(str(exc)) from None


def zendesk_config(
    section: ZendeskSection, env: Mapping[str, str], secret: SecretReader, source: str
) -> ZendeskConfig | None:
    url = _base_url("zendesk", section.url, env, source)
    if not url:
        return None
    config = ZendeskConfig(
        url=url,
        client_id=env.get("CARE_ZENDESK_CLIENT_ID") or None,
        client_secret=secret("CARE_ZENDESK_CLIENT_SECRET"),
        oauth_token=secret("CARE_ZENDESK_OAUTH_TOKEN"),
        email=env.get("CARE_ZENDESK_EMAIL") or None,
        api_token=secret("CARE_ZENDESK_TOKEN"),
        per_page=section.per_page,
        oauth_scope=section.oauth_scope,
        oauth_token_lifetime_s=section.oauth_token_lifetime_s,
        api_budget_per_minute=section.api_budget_per_minute,
    )
    if config.client_id and not config.client_secret:
        raise ConfigError("CARE_ZENDESK_CLIENT_ID is set but CARE_ZENDESK_CLIENT_SECRET is missing")
    if config.email and not config.api_token and config.auth_method == "none":
        raise ConfigError("CARE_ZENDESK_EMAIL is set but CARE_ZENDESK_TOKEN is missing")
    if config.auth_method == "none":
        raise ConfigError(
            f"Zendesk at {config.url} has no credentials: set CARE_ZENDESK_CLIENT_ID and "
            "CARE_ZENDESK_CLIENT_SECRET (an OAuth client from Admin Center → Apps and "
            "integrations → APIs → OAuth clients), or CARE_ZENDESK_OAUTH_TOKEN"
        )
    return config


def freshdesk_config(
    section: FreshdeskSection, env: Mapping[str, str], secret: SecretReader, source: str
) -> FreshdeskConfig | None:
    url = _base_url("freshdesk", section.url, env, source)
    if not url:
        return None
    api_key = secret("CARE_FRESHDESK_API_KEY")
    if not api_key:
        raise ConfigError(
            f"Freshdesk at {url} has no API key: set CARE_FRESHDESK_API_KEY "
            "(Profile settings → View API key in Freshdesk)"
        )
    custom = {int(code): status for code, status in section.custom_statuses.items()}
    return FreshdeskConfig(
        url=url,
        api_key=api_key,
        custom_statuses=custom,
        api_budget_per_minute=section.api_budget_per_minute,
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
