"""Secrets in the settings: held as SecretStr, never shown by an error, a repr or a str;
the survey signing key long enough to be unguessable; credentials only over https."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from care.settings.load import ConfigError, load_settings

SECRET_32 = "0123456789abcdef0123456789abcdef"  # 32 bytes, as `openssl rand -hex 16` gives
ALL_SECRETS = {
    "CARE_ZENDESK_URL": "https://acme.zendesk.com",
    "CARE_ZENDESK_CLIENT_ID": "care",
    "CARE_ZENDESK_CLIENT_SECRET": "zd-client-s3cret",
    "CARE_ZENDESK_OAUTH_TOKEN": "zd-oauth-s3cret",
    "CARE_ZENDESK_EMAIL": "admin@acme.test",
    "CARE_ZENDESK_TOKEN": "zd-api-s3cret",
    "CARE_FRESHDESK_URL": "https://acme.freshdesk.com",
    "CARE_FRESHDESK_API_KEY": "fd-key-s3cret",
    "CARE_SURVEY_SECRET": "survey-s3cret-" + SECRET_32,
    "CARE_ALERT_WEBHOOK_URL": "https://hooks.acme.test/care/webhook-s3cret",
    "CARE_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/slack-s3cret",
}


def config_file(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "care.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, env: dict[str, str], toml: str = "") -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file(tmp_path, toml), env=env)
    return str(raised.value)


# --- held as SecretStr ----------------------------------------------------------------


def test_every_secret_is_held_as_a_secret_str_that_prints_as_stars(tmp_path):
    settings = load_settings(config_file(tmp_path), env=ALL_SECRETS)
    held = [
        settings.helpdesk("zendesk").client_secret,
        settings.helpdesk("zendesk").oauth_token,
        settings.helpdesk("zendesk").api_token,
        settings.helpdesk("freshdesk").api_key,
        settings.survey_secret,
        settings.alerts.webhook_url,
        settings.alerts.slack_webhook_url,
    ]
    assert all(isinstance(secret, SecretStr) for secret in held)
    shown = " ".join([repr(settings), str(settings), *map(str, held), *map(repr, held)])
    assert "s3cret" not in shown
    assert (
        settings.helpdesk("freshdesk").api_key.get_secret_value() == "fd-key-s3cret"
    )  # where it is used


def test_settings_built_in_code_with_plain_strings_hold_them_as_secrets():
    from care.domain.policy import Policy
    from care.settings.load import AlertSettings, Settings
    from connectors.freshdesk.settings import FreshdeskConfig

    settings = Settings(
        Policy(),
        "sqlite://",
        30,
        {"freshdesk": FreshdeskConfig("https://acme.freshdesk.com", "fd-key-s3cret")},
        survey_secret="survey-s3cret",
        alerts=AlertSettings(webhook_url="https://hooks.acme.test/webhook-s3cret"),
    )
    assert isinstance(settings.survey_secret, SecretStr)
    assert "s3cret" not in repr(settings)
    assert settings.helpdesk("freshdesk").api_key.get_secret_value() == "fd-key-s3cret"


# --- the survey signing key -------------------------------------------------------------


@pytest.mark.parametrize("secret", ["a", "sign-me", SECRET_32[:-1], "é" * 15])  # é: 2 bytes
def test_a_survey_secret_shorter_than_32_bytes_is_refused_with_how_to_make_one(tmp_path, secret):
    message = refused(tmp_path, {"CARE_SURVEY_SECRET": secret})
    assert message.startswith("CARE_SURVEY_SECRET is shorter than 32 bytes")
    assert "openssl rand -hex 32" in message
    if len(secret) > 1:  # "a" is in any sentence
        assert secret not in message


def test_a_survey_secret_of_32_bytes_is_accepted(tmp_path):
    settings = load_settings(config_file(tmp_path), env={"CARE_SURVEY_SECRET": SECRET_32})
    assert settings.survey_secret.get_secret_value() == SECRET_32
    multibyte = load_settings(config_file(tmp_path), env={"CARE_SURVEY_SECRET": "é" * 16})
    assert multibyte.survey_secret is not None


# --- https only, except on loopback -----------------------------------------------------


HELPDESK_CREDENTIALS = {
    "CARE_ZENDESK_CLIENT_ID": "care",
    "CARE_ZENDESK_CLIENT_SECRET": "zd-client-s3cret",
    "CARE_FRESHDESK_API_KEY": "fd-key-s3cret",
}


@pytest.mark.parametrize("variable", ["CARE_ZENDESK_URL", "CARE_FRESHDESK_URL"])
def test_a_plain_http_helpdesk_url_is_refused_naming_the_variable_and_https(tmp_path, variable):
    message = refused(tmp_path, {**HELPDESK_CREDENTIALS, variable: "http://northwind.example.com"})
    assert message.startswith(f"{variable} must use https://")
    assert "northwind" not in message


def test_a_plain_http_helpdesk_url_in_the_file_names_the_key(tmp_path):
    toml = '[zendesk]\nurl = "http://northwind.zendesk.com"\n'
    message = refused(tmp_path, HELPDESK_CREDENTIALS, toml)
    assert "zendesk.url in " in message and "must use https://" in message
    assert "northwind" not in message


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1:8080", "127.3.2.1:8080", "localhost:8080", "[::1]:8080", "sandbox.localhost"],
)
def test_plain_http_is_fine_on_loopback_where_the_sandboxes_run(tmp_path, host):
    env = {
        **HELPDESK_CREDENTIALS,
        "CARE_ZENDESK_URL": f"http://{host}",
        "CARE_FRESHDESK_URL": f"http://{host}",
        "CARE_ALERT_WEBHOOK_URL": f"http://{host}/hook",
        "CARE_SURVEY_BASE_URL": f"http://{host}",
    }
    settings = load_settings(config_file(tmp_path), env=env)
    assert (
        settings.helpdesk("zendesk").url == f"http://{host}"
        and settings.survey_base_url == f"http://{host}"
    )


@pytest.mark.parametrize("variable", ["CARE_ALERT_WEBHOOK_URL", "CARE_SLACK_WEBHOOK_URL"])
def test_a_plain_http_webhook_is_refused_without_showing_its_token(tmp_path, variable):
    message = refused(tmp_path, {variable: "http://hooks.acme.test/services/T0/webhook-s3cret"})
    assert message.startswith(f"{variable} must use https://")
    assert "s3cret" not in message and "hooks.acme" not in message


def test_a_plain_http_survey_base_url_is_refused(tmp_path):
    message = refused(tmp_path, {"CARE_SURVEY_BASE_URL": "http://survey.acme.test"})
    assert message.startswith("CARE_SURVEY_BASE_URL must use https://")
    assert "answers" in message and "survey.acme" not in message


def test_a_password_in_the_survey_base_url_is_refused_without_showing_it(tmp_path):
    message = refused(tmp_path, {"CARE_SURVEY_BASE_URL": "https://care:pa55word@survey.acme.test"})
    assert "CARE_SURVEY_BASE_URL must not hold a user or password" in message
    assert "pa55word" not in message


def test_the_survey_base_url_loses_its_trailing_slash(tmp_path):
    env = {"CARE_SURVEY_BASE_URL": "https://survey.acme.test/care/"}
    assert load_settings(config_file(tmp_path), env=env).survey_base_url == (
        "https://survey.acme.test/care"
    )


# --- no value in any config error -------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[smtp]\npass = "smtp-pa55-s3cret"\n', "smtp: unknown key"),
        ('[freshdesk]\napikey = "fd-key-s3cret"\n', "freshdesk.apikey: unknown key"),
        ('freshdesk.apikey = "fd-key-s3cret"\n', "freshdesk.apikey: unknown key"),
        ('[zendesk]\nurl = "https://a.zendesk.com"\nclientsecret = "zd-s3cret"\n', "clientsecret"),
    ],
)
def test_a_secret_under_a_misspelt_key_is_named_never_shown(tmp_path, toml, named):
    message = refused(tmp_path, {}, toml)
    assert named in message and "s3cret" not in message


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('[survey]\ndelay_hours = "s3cret-pasted-here"\n', "survey.delay_hours: "),
        ('[survey]\nreopen_on_unsolved = "s3cret"\n', "survey.reopen_on_unsolved: "),
        ('[rules.greeting]\nmode = "s3cret"\n', "rules.greeting.mode: "),
        ('[freshdesk.custom_statuses]\n8 = "s3cret"\n', "freshdesk.custom_statuses.8: "),
        ('[business_hours]\ntimezone = "s3cret"\n', "business_hours.timezone: "),
        ('[rules]\ndisabled = ["xoxb-s3cret-0000-1111"]\n', "rules.disabled: "),
        ('[alerts]\nrules = ["https://hooks.slack.com/s3cret"]\n', "alerts.rules: "),
    ],
)
def test_a_wrong_value_is_named_by_its_key_with_the_reason_never_shown(tmp_path, toml, named):
    message = refused(tmp_path, {}, toml)
    assert named in message and "s3cret" not in message
    assert "input_value" not in message


def test_a_webhook_pasted_as_the_prefect_block_is_not_shown(tmp_path):
    toml = '[alerts]\nprefect_block = "https://hooks.slack.com/services/T0/B0/s3cret"\n'
    message = refused(tmp_path, {}, toml)
    assert "alerts.prefect_block" in message and "s3cret" not in message


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            '[business_hours]\nstart = "18:00"\nend = "09:00"\n',
            "business_hours: start must be before end",
        ),
        ('[rules.error_page]\nmin_priority = "s3cret"\n', "rules.error_page.min_priority: Input"),
    ],
)
def test_a_value_checked_as_a_whole_is_explained_without_it(tmp_path, toml, expected):
    message = refused(tmp_path, {}, toml)
    assert expected in message and "18:00" not in message and "s3cret" not in message


def test_the_database_password_is_not_in_the_settings_repr(tmp_path):
    from care.settings.load import load_store_settings

    env = {"CARE_DATABASE_URL": "postgresql+psycopg://care:db-pa55@db.internal/care"}
    settings = load_settings(config_file(tmp_path), env=env)
    assert settings.database_url.endswith("@db.internal/care")  # as given, for the store
    assert "db-pa55" not in repr(settings)
    assert "db-pa55" not in repr(load_store_settings(config_file(tmp_path), env=env))
