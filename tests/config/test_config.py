"""Configuration: the file + environment, with errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from care.domain.policy import Policy
from care.settings.load import AlertSettings, ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]
ZENDESK_ENV = {
    "CARE_ZENDESK_URL": "https://acme.zendesk.com",
    "CARE_ZENDESK_CLIENT_ID": "care",
    "CARE_ZENDESK_CLIENT_SECRET": "s3cret-value",
}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "care.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_file_documents_exactly_the_defaults(monkeypatch):
    monkeypatch.chdir(ROOT)  # its relative paths are relative to its folder
    settings = load_settings("care.example.toml", env={})
    assert settings.policy == Policy()
    assert settings.alerts == AlertSettings() and not settings.alerts.enabled
    assert settings.database_url == "sqlite:///care.db"
    assert settings.backfill_days == 30
    assert settings.report_dir == "reports"


def test_relative_paths_in_the_file_are_relative_to_its_folder(tmp_path, monkeypatch):
    folder = tmp_path / "etc" / "care"
    folder.mkdir(parents=True)
    (folder / "templates").mkdir()
    (folder / "faq.toml").write_text(
        '[[article]]\ntitle = "Reset your password"\nurl = "https://help.example/reset"\n'
        'keywords = ["password"]\n',
        encoding="utf-8",
    )
    path = write(
        folder,
        'database_url = "sqlite:///data/care.db"\ntemplates_dir = "templates"\n'
        '[rules.faq]\ncatalogue = "faq.toml"\n[survey]\noutbox_dir = "outbox"\n'
        '[report]\ndir = "/srv/reports"\n',
    )
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # a worker, `care serve` or `care status` started elsewhere

    settings = load_settings(path, env={})

    assert settings.database_url == f"sqlite:///{folder}/data/care.db"
    assert settings.policy.templates_dir == str(folder / "templates")
    assert settings.policy.rules.faq.catalogue == str(folder / "faq.toml")
    assert settings.policy.survey.outbox_dir == str(folder / "outbox")
    assert settings.report_dir == "/srv/reports"  # absolute: as written
    overridden = load_settings(path, env={"CARE_DATABASE_URL": "sqlite:///mine.db"})
    assert overridden.database_url == "sqlite:///mine.db"  # the environment: the working folder


@pytest.mark.parametrize(
    "url",
    ["postgresql+psycopg://care@db.internal/care", "sqlite://", "sqlite:///:memory:"],
)
def test_other_database_urls_are_kept_as_written(tmp_path, url):
    path = write(tmp_path, f'database_url = "{url}"\n')
    assert load_settings(path, env={}).database_url == url


def test_no_file_means_all_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.policy == Policy() and "zendesk" not in settings.helpdesks


def test_unknown_key_is_named(tmp_path):
    path = write(tmp_path, "[rules.response_sla]\ntarget_hour = 8\n")
    with pytest.raises(ConfigError, match=r"rules\.response_sla\.target_hour: unknown key"):
        load_settings(path, env={})


def test_bad_value_is_named_with_the_reason(tmp_path):
    path = write(tmp_path, "[rules.response_sla]\ntarget_hours = -1\n")
    with pytest.raises(
        ConfigError, match=r"rules\.response_sla\.target_hours: must be more than 0"
    ):
        load_settings(path, env={})


def test_unknown_time_zone_is_explained(tmp_path):
    path = write(tmp_path, '[business_hours]\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match=r"business_hours\.timezone: unknown time zone \(use an"):
        load_settings(path, env={})


def test_a_secret_in_the_file_is_refused_with_the_variable_to_use(tmp_path):
    path = write(tmp_path, '[zendesk]\nurl = "https://acme.zendesk.com"\nclient_secret = "x"\n')
    with pytest.raises(
        ConfigError, match=r"zendesk\.client_secret .* set CARE_ZENDESK_CLIENT_SECRET"
    ):
        load_settings(path, env={})


def test_environment_overrides_the_file(tmp_path):
    path = write(
        tmp_path, 'database_url = "sqlite:///file.db"\n[zendesk]\nurl = "https://old.zendesk.com"\n'
    )
    env = {**ZENDESK_ENV, "CARE_DATABASE_URL": "sqlite:///env.db"}
    settings = load_settings(path, env=env)
    assert settings.database_url == "sqlite:///env.db"
    assert settings.helpdesk("zendesk").url == "https://acme.zendesk.com"
    assert settings.helpdesk("zendesk").auth_method == "oauth-client-credentials"


def test_zendesk_without_credentials_says_how_to_get_them(tmp_path):
    with pytest.raises(ConfigError, match="CARE_ZENDESK_CLIENT_ID and CARE_ZENDESK_CLIENT_SECRET"):
        load_settings(write(tmp_path, ""), env={"CARE_ZENDESK_URL": "https://acme.zendesk.com"})


def test_client_id_without_secret_is_named(tmp_path):
    env = {"CARE_ZENDESK_URL": "https://a.zendesk.com", "CARE_ZENDESK_CLIENT_ID": "x"}
    with pytest.raises(ConfigError, match="CARE_ZENDESK_CLIENT_SECRET is missing"):
        load_settings(write(tmp_path, ""), env=env)


def test_secrets_never_show_in_the_settings_repr(tmp_path):
    settings = load_settings(
        write(tmp_path, ""), env={**ZENDESK_ENV, "CARE_SURVEY_SECRET": "sign-me-" * 4}
    )
    assert "s3cret-value" not in repr(settings) and "sign-me" not in repr(settings)


def test_missing_config_file_named_by_care_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(env={"CARE_CONFIG": str(tmp_path / "nope.toml")})


def test_freshdesk_without_an_api_key_names_the_variable(tmp_path):
    env = {"CARE_FRESHDESK_URL": "https://acme.freshdesk.com"}
    with pytest.raises(ConfigError, match="CARE_FRESHDESK_API_KEY"):
        load_settings(write(tmp_path, ""), env=env)


def test_freshdesk_configured_from_the_environment(tmp_path):
    env = {"CARE_FRESHDESK_URL": "https://acme.freshdesk.com/", "CARE_FRESHDESK_API_KEY": "k3y"}
    settings = load_settings(write(tmp_path, ""), env=env)
    assert settings.helpdesk("freshdesk").url == "https://acme.freshdesk.com"
    assert settings.helpdesk_names() == ["freshdesk"] and "k3y" not in repr(settings)


def test_freshdesk_custom_statuses_default_to_the_stock_ones_and_can_be_changed(tmp_path):
    env = {"CARE_FRESHDESK_URL": "https://acme.freshdesk.com", "CARE_FRESHDESK_API_KEY": "k"}
    assert load_settings(write(tmp_path, ""), env=env).helpdesk("freshdesk").custom_statuses == {
        6: "pending",
        7: "hold",
    }
    changed = write(tmp_path, '[freshdesk.custom_statuses]\n9 = "solved"\n')
    assert load_settings(changed, env=env).helpdesk("freshdesk").custom_statuses == {9: "solved"}


def test_a_builtin_status_code_cannot_be_remapped(tmp_path):
    bad = write(tmp_path, '[freshdesk.custom_statuses]\n4 = "open"\n')
    with pytest.raises(ConfigError, match="custom_statuses"):
        load_settings(bad, env={})


ALERT_URLS = {
    "CARE_ALERT_WEBHOOK_URL": "https://hooks.acme.example/care/t0k3n-webhook",
    "CARE_SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/t0k3n-slack",
}


def test_alert_webhooks_come_from_the_environment_and_stay_out_of_the_repr(tmp_path):
    settings = load_settings(write(tmp_path, "[alerts]\ntimeout_s = 3\n"), env=ALERT_URLS)
    alerts = settings.alerts
    assert alerts.enabled and alerts.timeout_s == 3
    assert alerts.webhook_url.get_secret_value() == ALERT_URLS["CARE_ALERT_WEBHOOK_URL"]
    assert alerts.slack_webhook_url.get_secret_value() == ALERT_URLS["CARE_SLACK_WEBHOOK_URL"]
    assert "t0k3n" not in repr(settings)


@pytest.mark.parametrize(
    ("key", "variable"),
    [("webhook_url", "CARE_ALERT_WEBHOOK_URL"), ("slack_webhook_url", "CARE_SLACK_WEBHOOK_URL")],
)
def test_an_alert_webhook_in_the_file_is_refused_with_the_variable_to_use(tmp_path, key, variable):
    path = write(tmp_path, f'[alerts]\n{key} = "https://hooks.slack.com/services/x"\n')
    with pytest.raises(ConfigError, match=rf"alerts\.{key} .* set {variable}"):
        load_settings(path, env={})


def test_a_malformed_alert_webhook_is_named_without_showing_its_token(tmp_path):
    env = {"CARE_SLACK_WEBHOOK_URL": "hooks.slack.com/services/T0/B0/t0k3n"}
    with pytest.raises(ConfigError, match="CARE_SLACK_WEBHOOK_URL") as raised:
        load_settings(write(tmp_path, ""), env=env)
    assert "t0k3n" not in str(raised.value)


def test_only_rules_that_notify_can_be_alert_rules(tmp_path):
    path = write(tmp_path, '[alerts]\nrules = ["resolve.passed_around"]\n')
    with pytest.raises(ConfigError, match=r"alerts\.rules: 'resolve.passed_around' raises no"):
        load_settings(path, env={})


def test_a_prefect_notification_block_is_named_with_its_type(tmp_path):
    env = {"CARE_ALERT_PREFECT_BLOCK": "slack-webhook/care-escalations"}
    settings = load_settings(write(tmp_path, ""), env=env)
    assert settings.alerts.prefect_block == "slack-webhook/care-escalations"
    assert settings.alerts.enabled
    with pytest.raises(ConfigError, match="block-type/name"):
        load_settings(write(tmp_path, '[alerts]\nprefect_block = "care-escalations"\n'), env={})


@pytest.mark.parametrize(
    ("toml", "suggestion"),
    [
        (
            "[survey]\ndealy_hours = 3\n",
            "survey.dealy_hours: unknown key; did you mean survey.delay_hours?",
        ),
        (
            "[rules.response_sla]\ntarget_hour = 8\n",
            "rules.response_sla.target_hour: unknown key; "
            "did you mean rules.response_sla.target_hours?",
        ),
        ("backfil_days = 9\n", "backfil_days: unknown key; did you mean backfill_days?"),
        (
            '[business_hours]\ntimezone = "UTC"\nstrat = "08:00"\n',
            "business_hours.strat: unknown key; did you mean business_hours.start?",
        ),
    ],
)
def test_a_typo_in_a_key_gets_the_key_it_meant(tmp_path, toml, suggestion):
    with pytest.raises(ConfigError) as raised:
        load_settings(write(tmp_path, toml), env={})
    assert suggestion in str(raised.value)


def test_an_unknown_key_like_no_other_points_at_the_example_file(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_settings(write(tmp_path, "[survey]\nwallpaper = 3\n"), env={})
    assert "survey.wallpaper: unknown key (care.example.toml lists every key)" in str(raised.value)
    assert "did you mean" not in str(raised.value)


def test_a_misspelt_secret_in_the_file_is_not_shown(tmp_path):
    path = write(tmp_path, '[zendesk]\nclient_secert = "s3cret-in-the-file"\n')
    with pytest.raises(ConfigError, match=r"zendesk\.client_secert: unknown key") as raised:
        load_settings(path, env={})
    assert "s3cret-in-the-file" not in str(raised.value)


def test_a_missing_config_file_names_care_config_and_no_option(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_settings(env={"CARE_CONFIG": str(tmp_path / "nope.toml")})
    assert (
        str(raised.value)
        == f"config file {tmp_path / 'nope.toml'} does not exist (named by CARE_CONFIG)"
    )
