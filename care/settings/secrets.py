"""Secrets in the settings: read from the environment (or Prefect Secret blocks), never
from care.toml, and held as `SecretStr` from the moment they are read, so that no repr,
log line or error message can show one; `.get_secret_value()` only where one is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import SecretStr

from care.settings.errors import ConfigError

# Keys that would hold a secret if written in care.toml, and the variable to use instead;
# each helpdesk adds its own (connectors/registry.py). A dotted key is refused at that
# place only: `url` is a helpdesk's base URL, but the retention database's URL may hold
# a password.
RETENTION_DATABASE_URL = "CARE_RETENTION_DATABASE_URL"
SECRET_KEYS = {
    "password": "CARE_SMTP_PASSWORD",
    "secret": "CARE_SURVEY_SECRET",
    "webhook_url": "CARE_ALERT_WEBHOOK_URL",
    "slack_webhook_url": "CARE_SLACK_WEBHOOK_URL",
    "sentry_client_secret": "CARE_SENTRY_CLIENT_SECRET",
    "events_secret": "CARE_EVENTS_SECRET",
    "report.retention.url": RETENTION_DATABASE_URL,
    "report.retention.database_url": RETENTION_DATABASE_URL,
}

# HMAC-SHA256 keys shorter than its block of 32 bytes are guessable offline from one
# signed link: with the key, anyone can forge an answer or an unsubscribe.
MIN_SURVEY_SECRET_BYTES = 32
MAKE_A_SURVEY_SECRET = "openssl rand -hex 32"

SecretReader = Callable[[str], SecretStr | None]


def refuse_secrets(
    raw: Mapping[str, Any], source: str, keys: Mapping[str, str], prefix: str = ""
) -> None:
    """A secret written in the file is refused, naming its key and the variable to use
    (`keys`: key, anywhere, or dotted key, at that place only -> variable)."""
    for key, value in raw.items():
        variable = keys.get(f"{prefix}{key}") or keys.get(key)
        if isinstance(value, Mapping):
            refuse_secrets(value, source, keys, f"{prefix}{key}.")
        elif variable:
            raise ConfigError(
                f"{source}: {prefix}{key} is a secret and must not be in the file: "
                f"set {variable} in the environment instead"
            )


def secret_reader(source: str, env: Mapping[str, str]) -> SecretReader:
    """Reads a secret from `env`, or from a Prefect Secret block when `source` is "prefect"
    (which may raise whatever the Prefect client raises when its API cannot be reached)."""

    def read(variable: str) -> SecretStr | None:
        value = env.get(variable)
        if not value and source == "prefect":
            value = _prefect_secret(variable.lower().replace("_", "-"))
        return SecretStr(str(value)) if value else None

    return read


def survey_secret(secret: SecretReader) -> SecretStr | None:
    """CARE_SURVEY_SECRET, refused when it is set but too short to sign links safely."""
    value = secret("CARE_SURVEY_SECRET")
    if value is not None and len(value.get_secret_value().encode()) < MIN_SURVEY_SECRET_BYTES:
        raise ConfigError(
            f"CARE_SURVEY_SECRET is shorter than {MIN_SURVEY_SECRET_BYTES} bytes: a survey "
            f"link signed with it gives it away to an offline guess, and with it anyone can "
            f"answer for anyone; set it to the output of `{MAKE_A_SURVEY_SECRET}` (links "
            "already sent with the old one stop working)"
        )
    return value


def events_secret(secret: SecretReader) -> SecretStr | None:
    """CARE_EVENTS_SECRET, refused when it is set but too short to sign events safely
    (the same bar as the survey key: we choose it, so it can be long enough)."""
    value = secret("CARE_EVENTS_SECRET")
    if value is not None and len(value.get_secret_value().encode()) < MIN_SURVEY_SECRET_BYTES:
        raise ConfigError(
            f"CARE_EVENTS_SECRET is shorter than {MIN_SURVEY_SECRET_BYTES} bytes: a signed "
            f"error event gives it away to an offline guess, and with it anyone can file "
            f"events for any customer; set it to the output of `{MAKE_A_SURVEY_SECRET}` "
            "(and give the same value to the service that sends the events)"
        )
    return value


def reveal(secret: SecretStr | None) -> str | None:
    """The secret's value, at the one place that uses it."""
    return secret.get_secret_value() if secret is not None else None


def hold_secrets(config: object, *names: str) -> None:
    """Wraps the str secrets a caller passed (tests, the demo) as `SecretStr`, in a
    frozen dataclass's `__post_init__`."""
    for name in names:
        object.__setattr__(config, name, as_secret(getattr(config, name)))


def as_secret(value: SecretStr | str | None) -> SecretStr | None:
    """`value` as a SecretStr: settings built in code (tests, the demo) may pass a str."""
    return SecretStr(value) if isinstance(value, str) else value


def _prefect_secret(block_name: str) -> str | None:
    from prefect.blocks.system import Secret  # imported late: it needs a Prefect API

    try:
        return Secret.load(block_name).get()
    except ValueError:
        return None
