"""`care check`: is this installation ready to run? One result per check, never a secret.

    results = run_checks()   # care.toml and CARE_*; reaches the database, helpdesks, SMTP;
                             # and what survey e-mails would link to and come from
    ready = not any(r.outcome is Outcome.FAIL for r in results)

Nothing is written anywhere: the database is not migrated (a schema behind is a
warning, migrated by the next command that opens the store), helpdesks get one
authenticated read each, the SMTP server a login and QUIT without a message.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from care.app.check_result import CheckResult, Outcome
from care.app.checks_mail import check_smtp, check_survey_links, check_survey_sender  # and listed
from care.domain.policy import Policy
from care.domain.rules.enhance import SURVEY
from care.domain.rules.outreach import PROACTIVE_OUTREACH
from care.settings.errors import ConfigError
from care.settings.file import read_config_file
from care.settings.load import (
    AlertSettings,
    alert_settings,
    database_url,
    policy_from,
    survey_base_url,
)
from care.settings.reading import SettingsSource
from care.settings.secrets import (
    MAKE_A_SURVEY_SECRET,
    SecretReader,
    events_secret,
    secret_reader,
    survey_secret,
)
from care.settings.urls import redact_url_passwords
from care.store.database import (
    StoreError,
    engine_as_is,
    error_line,
    known_revisions,
    schema_revisions,
)
from connectors.base import Helpdesk, HelpdeskKind
from connectors.errors import AuthError, HelpdeskError, Transient
from connectors.registry import HELPDESKS

T = TypeVar("T")


def run_checks(
    env: Mapping[str, str] | None = None, *, now: datetime | None = None, timeout: float = 10.0
) -> list[CheckResult]:
    """Every check, in order: configuration, secrets, database, helpdesks, alerts, SMTP,
    survey e-mails. Each part of the settings is checked on its own, so a wrong one hides
    no other problem; only a check that needs a wrong part is skipped, and says so."""
    env = os.environ if env is None else env
    try:
        file, source = read_config_file(env=env)
    except ConfigError as exc:
        skipped = "not run: every other check reads care.toml, which must be valid first"
        return [
            CheckResult("configuration", Outcome.FAIL, str(exc), _config_hint(str(exc))),
            CheckResult("other checks", Outcome.SKIPPED, skipped),
        ]
    policy, secret = policy_from(file, env), secret_reader(file.secrets, env)
    results = [_config_ok(source)]
    signing_key = _part("survey secret", file, lambda: survey_secret(secret))
    results.append(_or(signing_key, lambda value: check_survey_secret(value, policy)))
    url = _part("database", file, lambda: database_url(file, env, source))
    results.append(_or(url, lambda value: check_database(value, timeout)))
    for name, kind in HELPDESKS.items():
        read = partial(kind.read, getattr(file, name), SettingsSource(env, secret, source))
        config = _part(f"{name} settings", file, read)
        results.extend(_helpdesk(kind, config, now, timeout))
    alerts = _part("alerts", file, lambda: alert_settings(file.alerts, env, secret))
    results.append(_or(alerts, check_alerts))
    events = _part("error events", file, lambda: error_event_secrets(secret))
    results.append(_or(events, lambda found: check_error_events(found, policy)))
    results.append(check_smtp(env, policy, timeout))
    base_url = _part("survey links", file, lambda: survey_base_url(env))
    results.append(_or(base_url, lambda _: check_survey_links(env, policy)))
    results.append(check_survey_sender(env, policy))
    return results


def _part(name: str, file: Any, build: Callable[[], T]) -> T | CheckResult:
    """One part of the settings, or the failed check `name` saying what is wrong with it."""
    try:
        return build()
    except ConfigError as exc:  # a credential missing, a URL CARE cannot use: named in exc
        hint = "fix the setting named above; the README lists every variable"
        if "CARE_SURVEY_SECRET" in str(exc):
            hint = f"set CARE_SURVEY_SECRET to the output of `{MAKE_A_SURVEY_SECRET}`"
        return CheckResult(name, Outcome.FAIL, str(exc), hint)
    except Exception as exc:
        if file.secrets != "prefect":
            raise
        # A Prefect Secret block could not be read: the Prefect API is down or not set.
        message = f"cannot read the secrets: {type(exc).__name__}: {redact_url_passwords(str(exc))}"
        hint = "check PREFECT_API_URL, or set the secrets in the environment"
        return CheckResult(name, Outcome.FAIL, message, hint)


def _or(part: T | CheckResult, check: Callable[[T], CheckResult]) -> CheckResult:
    """The failure of `part`, or `check` of it."""
    return part if isinstance(part, CheckResult) else check(part)


def _config_ok(source: str) -> CheckResult:
    if source == "defaults":
        return CheckResult(
            "configuration", Outcome.OK, "no care.toml: every setting at its default"
        )
    return CheckResult("configuration", Outcome.OK, f"{source} is valid")


def check_survey_secret(secret: SecretStr | None, policy: Policy) -> CheckResult:
    """dispatch-surveys refuses to send without CARE_SURVEY_SECRET (flows/surveys.py)."""
    if secret:
        return CheckResult("survey secret", Outcome.OK, "CARE_SURVEY_SECRET is set")
    hint = f"set CARE_SURVEY_SECRET, e.g. to $({MAKE_A_SURVEY_SECRET}), and keep it: links in sent "
    hint += "e-mails are checked against it"
    if policy.enabled(SURVEY):
        message = "CARE_SURVEY_SECRET is not set: dispatch-surveys sends nothing without it"
        return CheckResult("survey secret", Outcome.FAIL, message, hint)
    message = f"CARE_SURVEY_SECRET is not set; surveys are off ({SURVEY} is disabled), but a "
    message += "scheduled dispatch-surveys still fails without it"
    return CheckResult("survey secret", Outcome.WARN, message, hint)


# -- database ---------------------------------------------------------------------------


def check_database(url: str, timeout: float = 10.0) -> CheckResult:
    """Reachable, and the schema at this release's head, read without migrating."""
    hint = "check CARE_DATABASE_URL (or database_url in care.toml) and that the server is up"
    try:
        parsed = make_url(url)
    except ArgumentError:
        return CheckResult("database", Outcome.FAIL, "the database URL cannot be parsed", hint)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and not _sqlite_file_exists(parsed.database):
        message = f"{shown} does not exist yet: created and migrated by the first run"
        return CheckResult("database", Outcome.WARN, message)
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(max(1, int(timeout)))})
    try:
        engine = engine_as_is(parsed.render_as_string(hide_password=False))
    except StoreError as exc:
        return CheckResult("database", Outcome.FAIL, str(exc), hint)
    try:
        current, heads = schema_revisions(engine)
    except SQLAlchemyError as exc:
        message = f"cannot reach {shown}: {error_line(exc)}"
        return CheckResult("database", Outcome.FAIL, message, hint)
    finally:
        engine.dispose()
    return _schema_result(shown, current, heads)


def _schema_result(shown: str, current: set[str], heads: set[str]) -> CheckResult:
    at, head = ", ".join(sorted(current)), ", ".join(sorted(heads))
    if current == heads:
        return CheckResult("database", Outcome.OK, f"{shown}: reachable, schema at {head}")
    if unknown := current - known_revisions():
        message = f"{shown}: schema at {', '.join(sorted(unknown))}, which this release does not "
        return CheckResult(
            "database", Outcome.FAIL, message + "know", "a newer care migrated it: upgrade care"
        )
    behind = f"at {at}" if current else "empty"
    message = f"{shown}: reachable, schema {behind}, this release's is {head}: migrated on the "
    return CheckResult("database", Outcome.WARN, message + "next run")


def _sqlite_file_exists(database: str | None) -> bool:
    return not database or database == ":memory:" or Path(database).exists()


# -- helpdesks --------------------------------------------------------------------------


def _helpdesk(
    kind: HelpdeskKind, config: Any, now: datetime | None, timeout: float
) -> list[CheckResult]:
    if isinstance(config, CheckResult):  # its settings are wrong: nothing to reach with
        message = f"not reached: the {kind.name} settings above must be fixed first"
        return [config, CheckResult(kind.name, Outcome.SKIPPED, message)]
    return list(check_helpdesk(kind, config, now or datetime.now(UTC), timeout))


def check_helpdesk(
    kind: HelpdeskKind, config: Any, now: datetime, timeout: float = 10.0
) -> Iterator[CheckResult]:
    """One authenticated read (`whoami`), and the helpdesk's own warning about its
    credential (a Zendesk legacy API token) if it has one."""
    if config is None:
        message = f"not configured (set CARE_{kind.name.upper()}_URL to use it)"
        yield CheckResult(kind.name, Outcome.SKIPPED, message)
        return
    # Opened here rather than by open_helpdesk: one request needs no shared API budget.
    connector = kind.open(config, None, timeout=timeout)
    connector.http.max_attempts = 2  # type: ignore[attr-defined]  # report, do not wait out
    yield _reach(kind, config.url, connector)
    warning = kind.credential_warning(config, now)
    if warning:
        name = f"{kind.name} credential"
        yield CheckResult(name, Outcome.WARN, warning, kind.credential)


def _reach(kind: HelpdeskKind, url: str, helpdesk: Helpdesk) -> CheckResult:
    name = kind.name
    try:
        account = helpdesk.whoami()
    except AuthError as exc:
        return CheckResult(name, Outcome.FAIL, str(exc), kind.credential)
    except Transient as exc:
        hint = f"check CARE_{name.upper()}_URL and that {url} can be reached from here"
        return CheckResult(name, Outcome.FAIL, f"cannot reach {url}: {exc}", hint)
    except HelpdeskError as exc:
        return CheckResult(name, Outcome.FAIL, f"{url}: {exc}", f"check CARE_{name.upper()}_URL")
    finally:
        helpdesk.close()
    who = f"{account.name} <{account.email}>" if account.email else account.name or account.id
    message = f"{url}: authenticated as {who} ({account.role or 'no role'})"
    if kind.required_role and account.role != kind.required_role:
        role = kind.required_role
        return CheckResult(name, Outcome.WARN, f"{message}, not an {role}", kind.role_reason)
    return CheckResult(name, Outcome.OK, message)


# -- alerts -----------------------------------------------------------------------------


def check_alerts(alerts: AlertSettings) -> CheckResult:
    """Where escalation alerts go; nothing is sent to find out."""
    channels = {
        "CARE_ALERT_WEBHOOK_URL": alerts.webhook_url,
        "CARE_SLACK_WEBHOOK_URL": alerts.slack_webhook_url,
        f"the Prefect block {alerts.prefect_block}": alerts.prefect_block,
    }
    if not any(channels.values()):
        return CheckResult("alerts", Outcome.SKIPPED, "no channel set: escalations raise no alerts")
    where = ", ".join(name for name, value in channels.items() if value)
    return CheckResult("alerts", Outcome.OK, f"escalation alerts go to {where}")


def error_event_secrets(secret: SecretReader) -> dict[str, bool]:
    """Which error-event routes the web endpoint serves: those whose secret is set."""
    return {
        "/events/sentry": secret("CARE_SENTRY_CLIENT_SECRET") is not None,
        "/events/error": events_secret(secret) is not None,  # refused when too short
    }


def check_error_events(served: dict[str, bool], policy: Policy) -> CheckResult:
    """Proactive outreach hears of product errors only through a route with its secret."""
    on = [route for route, yes in served.items() if yes]
    if not on:
        message = "no error events are taken (set CARE_SENTRY_CLIENT_SECRET or CARE_EVENTS_SECRET)"
        return CheckResult("error events", Outcome.SKIPPED, message)
    if not policy.enabled(PROACTIVE_OUTREACH):
        message = f"{', '.join(on)} take events, but {PROACTIVE_OUTREACH} is disabled"
        hint = f"remove {PROACTIVE_OUTREACH} from [rules] disabled, or unset the secrets"
        return CheckResult("error events", Outcome.WARN, message, hint)
    return CheckResult("error events", Outcome.OK, f"the web endpoint takes {', '.join(on)}")


def _config_hint(message: str) -> str:
    if "does not exist" in message:
        return (
            "point CARE_CONFIG at your care.toml, a path relative to the working directory; "
            "unset, ./care.toml or the defaults are used"
        )
    if "not valid TOML" in message:
        return "fix the TOML syntax at the line named above"
    return "fix the key named above; care.example.toml lists every key with its default"
