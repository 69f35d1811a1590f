"""care.toml: the file as written, validated against `ConfigFile`, its relative paths
anchored in its own folder. Reads no environment variable but CARE_CONFIG, and no secret.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from care.domain.alerts import ALERTING_RULES
from care.domain.policy import BusinessHours, Rules, Survey, Tags, looks_like_a_rule
from care.settings.errors import ConfigError, explain
from care.settings.reading import current_environment
from care.settings.secrets import SECRET_KEYS, refuse_secrets
from connectors.registry import HELPDESKS

DEFAULT_CONFIG = "care.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


# Repurchase windows: a year at most (the history rarely reaches further), four at most
# (each is a column of the report).
MAX_RETENTION_WINDOW_DAYS = 365
MAX_RETENTION_WINDOWS = 4


class RetentionSection(_Section):
    """Optional: the customers' purchases, renewals and churn (care/report/retention.py).
    Neither csv nor query set = no retention figures. The database URL for the query is
    a secret: CARE_RETENTION_DATABASE_URL, never a key here (refused as a secret)."""

    csv: str | None = None  # a file, relative to care.toml's folder
    query: str | None = None  # SQL run on CARE_RETENTION_DATABASE_URL
    windows_days: tuple[StrictInt, ...] = (30, 90)  # repurchase windows; churn: the largest

    @field_validator("csv", "query")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("is empty: remove the key, or set it")
        if value is not None and "\x00" in value:
            raise ValueError("holds a NUL character")
        return value

    @field_validator("windows_days")
    @classmethod
    def _windows(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not 1 <= len(value) <= MAX_RETENTION_WINDOWS:
            raise ValueError(f"must list 1 to {MAX_RETENTION_WINDOWS} windows (days)")
        if any(not 1 <= days <= MAX_RETENTION_WINDOW_DAYS for days in value):
            raise ValueError(f"each window must be from 1 to {MAX_RETENTION_WINDOW_DAYS} days")
        return tuple(sorted(set(value)))

    @model_validator(mode="after")
    def _one_source(self) -> RetentionSection:
        if self.csv is not None and self.query is not None:
            raise ValueError("csv and query are both set: set one of them, not both")
        return self


class ReportSection(_Section):
    dir: str = "reports"  # where `care-report` writes its HTML page
    weeks: int = Field(12, ge=0, le=104)  # the trend's weeks; 0: none
    min_tickets: int = Field(10, ge=1, le=100_000)  # fewer behind a figure: a small sample
    came_back_days: float = Field(14, gt=0, le=365)  # a new ticket this soon: came back
    retention: RetentionSection = RetentionSection()
    # Where the pages are served, for the link in the weekly digest ("https://…/reports/");
    # unset: the digest names the page's path on the worker.
    base_url: str | None = None

    @field_validator("base_url")
    @classmethod
    def _page_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL, e.g. https://reports.example.com/care/")
        if parts.username or parts.password or parts.query:
            raise ValueError("must not carry a login or a query: it is shown in the digest")
        return value if value.endswith("/") else value + "/"


class _ConfigFile(_Section):
    database_url: str | None = None
    backfill_days: float = Field(30, gt=0, le=3650)
    secrets: Literal["env", "prefect"] = "env"
    templates_dir: str | None = None
    rules: Rules = Rules()
    tags: Tags = Tags()
    survey: Survey = Survey()
    business_hours: BusinessHours | None = None
    alerts: AlertsSection = AlertsSection()
    report: ReportSection = ReportSection()


# One table per registered helpdesk ([zendesk], [freshdesk]), each its connector's model.
ConfigFile = create_model(  # type: ignore[call-overload]
    "ConfigFile",
    __base__=_ConfigFile,
    **{name: (kind.section, kind.section()) for name, kind in HELPDESKS.items()},
)

# Every key that would hold a secret, the helpdesks' own included.
ALL_SECRET_KEYS = {
    **{key: var for kind in HELPDESKS.values() for key, var in kind.secret_keys.items()},
    **SECRET_KEYS,
}


def read_config_file(
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[Any, str]:
    """The config file (`path`, else CARE_CONFIG, else ./care.toml) validated, and where it
    came from ("defaults" when there is none). `overrides`: keys of the file set by the
    caller (a flow run's parameters), over the file's own, validated the same way and
    refused when they hold a secret. Reads no other variable and no secret."""
    env = current_environment() if env is None else env
    config_path = Path(path or env.get("CARE_CONFIG") or DEFAULT_CONFIG)
    raw: dict[str, Any] = {}
    source = "defaults"
    if config_path.exists():
        raw = _read_toml(config_path)
        source = str(config_path)
    elif path or env.get("CARE_CONFIG"):
        named_by = " (named by CARE_CONFIG)" if not path else ""
        raise ConfigError(f"config file {config_path} does not exist{named_by}")
    refuse_secrets(raw, source, ALL_SECRET_KEYS)
    if overrides:
        refuse_secrets(overrides, "the run's overrides", ALL_SECRET_KEYS)
        raw = _merged(raw, overrides)
        source = f"{source} with the run's overrides"
    try:
        file = ConfigFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(explain(exc, source, ConfigFile)) from None
    return (anchor_paths(file, config_path.parent) if raw else file), source


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def anchor_paths(file: Any, folder: Path) -> Any:
    """The file's relative paths made relative to the file's own folder, not to the working
    directory: a worker, `care serve` and `care status` started from different folders
    with one care.toml must share one SQLite database and one outbox, or each would send
    its own surveys. Defaults and environment variables stay relative to the working
    directory."""
    fields = file.model_fields_set
    survey = file.survey
    if "outbox_dir" in survey.model_fields_set:
        survey = survey.model_copy(update={"outbox_dir": _under(folder, survey.outbox_dir)})
    report = _report_under(folder, file.report)
    rules = file.rules
    if rules.faq.catalogue:
        faq = rules.faq.model_copy(update={"catalogue": _under(folder, rules.faq.catalogue)})
        rules = rules.model_copy(update={"faq": faq})
    update: dict[str, Any] = {"survey": survey, "report": report, "rules": rules}
    if "templates_dir" in fields and file.templates_dir:
        update["templates_dir"] = _under(folder, file.templates_dir)
    if "database_url" in fields and file.database_url:
        update["database_url"] = _sqlite_under(folder, file.database_url)
    return file.model_copy(update=update)


def _report_under(folder: Path, report: ReportSection) -> ReportSection:
    update: dict[str, Any] = {}
    if "dir" in report.model_fields_set:
        update["dir"] = _under(folder, report.dir)
    if report.retention.csv:
        csv = _under(folder, report.retention.csv)
        update["retention"] = report.retention.model_copy(update={"csv": csv})
    return report.model_copy(update=update)


def _under(folder: Path, path: str) -> str:
    given = Path(path).expanduser()
    return str(given if given.is_absolute() else folder / given)


def _sqlite_under(folder: Path, url: str) -> str:
    """A SQLite URL with a relative file name, anchored in `folder`; any other URL as given."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return url  # the store explains a malformed URL when it opens it
    name = parsed.database
    if not parsed.drivername.startswith("sqlite") or not name or name == ":memory:":
        return url
    if name.startswith("file:") or Path(name).is_absolute():
        return url
    return parsed.set(database=str(folder / name)).render_as_string(hide_password=False)
