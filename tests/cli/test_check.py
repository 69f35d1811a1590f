"""`care check` against both sandboxes, a real database and a STARTTLS SMTP server with AUTH:
one line per check, every problem in one pass, a fix for each failure, never a secret,
exit 1 only on a failure."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import make_url
from typer.testing import CliRunner

from care.app import checks
from care.app.checks import (
    CheckResult,
    Outcome,
    check_survey_links,
    check_survey_secret,
    check_survey_sender,
)
from care.app.cli import app
from care.domain.policy import Policy, Rules, Survey
from care.store import Store
from care.store.database import engine_as_is, schema_revisions
from connectors.zendesk.settings import ZendeskConfig, credential_warning
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.databases import temporary_database
from tests.ports import free_port
from tests.smtp import PASSWORD, USER, Server, make_certificate, smtp_server

SURVEY_SECRET = "survey-signing-key-0123456789abcdef"
# What an operator sets before surveys go out over SMTP (the defaults are examples).
SENDER_TOML = '[survey]\nsender = "Acme Support <support@acme-support.com>"\n'


@pytest.fixture(scope="module")
def zendesk() -> Iterator[ZendeskSandbox]:
    with ZendeskSandbox(tickets=5, seed=3) as sb:
        yield sb


@pytest.fixture(scope="module")
def freshdesk() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=5, seed=3) as sb:
        yield sb


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp(certificate: tuple[Path, Path]) -> Iterator[Server]:
    with smtp_server(certificate, tls="starttls") as server:
        yield server


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A database migrated to head, as after any earlier command."""
    with temporary_database(tmp_path) as url:
        Store.open(url).close()
        yield url


@pytest.fixture
def env(zendesk, freshdesk, smtp, certificate, database_url) -> dict[str, str]:
    """Everything configured and right: the point each test breaks one thing from."""
    return {
        "CARE_DATABASE_URL": database_url,
        "CARE_ZENDESK_URL": zendesk.url,
        "CARE_ZENDESK_CLIENT_ID": zendesk.client_id,
        "CARE_ZENDESK_CLIENT_SECRET": zendesk.client_secret,
        "CARE_FRESHDESK_URL": freshdesk.url,
        "CARE_FRESHDESK_API_KEY": freshdesk.api_key,
        "CARE_SURVEY_SECRET": SURVEY_SECRET,
        "CARE_SURVEY_BASE_URL": "https://survey.acme-support.com",
        "CARE_SMTP_HOST": "127.0.0.1",
        "CARE_SMTP_PORT": str(smtp.port),
        "CARE_SMTP_TLS": "starttls",
        "CARE_SMTP_USER": USER,
        "CARE_SMTP_PASSWORD": PASSWORD,
        "SSL_CERT_FILE": str(certificate[0]),  # trust the test server's self-signed certificate
    }


def care_check(
    tmp_path: Path, env: dict[str, str], toml: str = SENDER_TOML
) -> subprocess.CompletedProcess:
    config = tmp_path / "care.toml"
    config.write_text(toml, encoding="utf-8")
    base = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CARE_CONFIG": str(config)}
    return subprocess.run(
        [sys.executable, "-m", "care", "check"],
        cwd=tmp_path,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def line(result: subprocess.CompletedProcess, name: str) -> str:
    """The line of one check (its mark, name and message), with the fix under it if any."""
    lines = result.stdout.splitlines()
    for i, text in enumerate(lines):
        if text[2:].split("  ")[0].strip() == name:
            fix = lines[i + 1] if i + 1 < len(lines) and "fix:" in lines[i + 1] else ""
            return f"{text}\n{fix}".strip()
    raise AssertionError(f"no {name!r} line in:\n{result.stdout}")


def no_secret_in(result: subprocess.CompletedProcess, *secrets: str) -> None:
    for secret in (SURVEY_SECRET, PASSWORD, *secrets):
        assert secret not in result.stdout and secret not in result.stderr


def test_everything_right_is_all_ticks_and_exit_0(tmp_path, env, smtp) -> None:
    result = care_check(tmp_path, env)
    assert result.returncode == 0, result.stdout + result.stderr
    names = ["configuration", "survey secret", "database", "zendesk", "freshdesk", "smtp"]
    names += ["survey links", "survey sender"]
    for name in names:
        assert line(result, name).startswith("✓"), result.stdout
    assert line(result, "alerts").startswith("-")  # no channel set: not configured
    assert line(result, "error events").startswith("-")  # no event secret: none taken
    assert len(result.stdout.splitlines()) == len(names) + 2  # one line each, no fix needed
    assert "authenticated as CARE Sandbox Admin" in line(result, "zendesk")
    assert f"logged in as {USER}" in line(result, "smtp")
    assert smtp.mailbox.received == [], "a check sends no mail"
    no_secret_in(result, env["CARE_ZENDESK_CLIENT_SECRET"], env["CARE_FRESHDESK_API_KEY"])


def test_a_typo_in_care_toml_gets_the_key_it_meant(tmp_path, env) -> None:
    result = care_check(tmp_path, env, toml="[survey]\ndealy_hours = 3\n")
    assert result.returncode == 1
    assert line(result, "configuration").startswith("✗")
    assert "survey.dealy_hours: unknown key; did you mean survey.delay_hours?" in result.stdout
    assert "care.example.toml" in result.stdout  # in the fix


def test_a_missing_config_file_or_broken_toml_gets_its_own_fix(tmp_path, env) -> None:
    missing = care_check(tmp_path, {**env, "CARE_CONFIG": str(tmp_path / "nowhere.toml")})
    broken = care_check(tmp_path, env, toml="[survey\ndelay_hours = 3\n")

    assert missing.returncode == broken.returncode == 1
    assert "nowhere.toml does not exist" in missing.stdout
    assert "fix: point CARE_CONFIG" in " ".join(missing.stdout.split())
    assert "--config" not in missing.stdout  # `care` has no such option
    assert "is not valid TOML" in broken.stdout and "fix: fix the TOML syntax" in broken.stdout


def test_a_wrong_zendesk_client_secret_names_the_variable_never_its_value(tmp_path, env) -> None:
    wrong = "wrong-secret-5f1e9c"
    result = care_check(tmp_path, {**env, "CARE_ZENDESK_CLIENT_SECRET": wrong})
    assert result.returncode == 1
    zendesk = line(result, "zendesk")
    assert zendesk.startswith("✗") and "CARE_ZENDESK_CLIENT_SECRET" in zendesk
    assert "fix:" in zendesk
    assert line(result, "freshdesk").startswith("✓")  # the others are still checked
    no_secret_in(result, wrong)


def test_an_unreachable_database_fails_without_showing_its_password(tmp_path, env) -> None:
    url = f"postgresql://care:db-pw-7d2a@127.0.0.1:{free_port()}/care"
    result = care_check(tmp_path, {**env, "CARE_DATABASE_URL": url})
    assert result.returncode == 1
    database = line(result, "database")
    assert database.startswith("✗") and "cannot reach postgresql://care:***@127.0.0.1" in database
    assert "CARE_DATABASE_URL" in database
    no_secret_in(result, "db-pw-7d2a")


def test_a_wrong_smtp_password_fails_naming_the_variables(tmp_path, env, smtp) -> None:
    wrong = "not-the-pa55word"
    result = care_check(tmp_path, {**env, "CARE_SMTP_PASSWORD": wrong})
    assert result.returncode == 1
    smtp_line = line(result, "smtp")
    assert smtp_line.startswith("✗") and "535" in smtp_line and "CARE_SMTP_PASSWORD" in smtp_line
    assert smtp.mailbox.received == []
    no_secret_in(result, wrong)


def test_a_legacy_zendesk_api_token_warns_and_still_passes(tmp_path, env, zendesk) -> None:
    legacy = {k: v for k, v in env.items() if not k.startswith("CARE_ZENDESK_CLIENT")}
    legacy |= {"CARE_ZENDESK_EMAIL": zendesk.admin_email, "CARE_ZENDESK_TOKEN": zendesk.api_token}
    result = care_check(tmp_path, legacy)
    assert result.returncode == 0, result.stdout
    assert line(result, "zendesk").startswith("✓")
    warning = line(result, "zendesk credential")
    assert warning.startswith("!") and "2027-04-30" in warning
    assert "CARE_ZENDESK_CLIENT_ID" in warning  # what to switch to
    no_secret_in(result, zendesk.api_token)


def test_a_helpdesk_not_configured_is_skipped_not_failed(tmp_path, env) -> None:
    zendesk_only = {k: v for k, v in env.items() if not k.startswith("CARE_FRESHDESK")}
    result = care_check(tmp_path, zendesk_only)
    assert result.returncode == 0, result.stdout
    freshdesk = line(result, "freshdesk")
    assert freshdesk.startswith("-") and "not configured" in freshdesk


def test_a_missing_survey_secret_fails_with_how_to_make_one(tmp_path, env) -> None:
    result = care_check(tmp_path, {k: v for k, v in env.items() if k != "CARE_SURVEY_SECRET"})
    assert result.returncode == 1
    secret = line(result, "survey secret")
    assert secret.startswith("✗") and "openssl rand" in secret


def test_surveys_switched_off_make_a_missing_secret_a_warning() -> None:
    surveys_off = Policy(rules=Rules(disabled=("enhance.survey",)))
    assert check_survey_secret(None, surveys_off).outcome is Outcome.WARN
    assert check_survey_secret(None, Policy()).outcome is Outcome.FAIL


def test_a_schema_behind_is_a_warning_and_is_not_migrated(tmp_path, env) -> None:
    with temporary_database(tmp_path / "fresh") as url:
        if make_url(url).get_backend_name() == "sqlite":
            Path(make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
            sqlite3.connect(make_url(url).database or "").close()  # exists, never migrated
        result = care_check(tmp_path, {**env, "CARE_DATABASE_URL": url})
        assert result.returncode == 0, result.stdout
        database = line(result, "database")
        assert database.startswith("!") and "migrated on the next run" in database
        engine = engine_as_is(url)
        try:
            current, _ = schema_revisions(engine)
        finally:
            engine.dispose()
        assert current == set(), "care check migrated nothing"


def test_days_left_before_zendesk_deactivates_api_tokens_are_counted() -> None:
    legacy = ZendeskConfig("https://acme.zendesk.com", email="a@acme.test", api_token="t0ken")
    before = credential_warning(legacy, datetime(2027, 4, 20, tzinfo=UTC))
    after = credential_warning(legacy, datetime(2027, 5, 2, tzinfo=UTC))
    assert before and "in 10 days" in before
    assert after and "deactivated API tokens on 2027-04-30" in after
    oauth = ZendeskConfig("https://acme.zendesk.com", client_id="c", client_secret="s")
    assert credential_warning(oauth, datetime(2027, 4, 20, tzinfo=UTC)) is None


def test_one_missing_zendesk_variable_hides_no_other_check(tmp_path, env) -> None:
    no_credentials = {k: v for k, v in env.items() if not k.startswith("CARE_ZENDESK_CLIENT")}
    no_credentials.pop("CARE_SURVEY_SECRET")
    result = care_check(tmp_path, no_credentials)
    assert result.returncode == 1
    settings = line(result, "zendesk settings")
    assert settings.startswith("✗") and "CARE_ZENDESK_CLIENT_ID" in settings and "fix:" in settings
    zendesk = line(result, "zendesk")
    assert zendesk.startswith("-") and "not reached: the zendesk settings above" in zendesk
    assert line(result, "survey secret").startswith("✗")  # a second problem, same pass
    for name in ["database", "freshdesk", "smtp", "survey links", "survey sender"]:
        assert line(result, name).startswith("✓"), result.stdout


@pytest.mark.parametrize("driver", ["postgresql+asyncpg", "mysql"])
def test_a_database_driver_care_cannot_use_is_a_failed_check(tmp_path, env, driver) -> None:
    url = f"{driver}://care:db-pw-7d2a@127.0.0.1:{free_port()}/care"
    result = care_check(tmp_path, {**env, "CARE_DATABASE_URL": url})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    database = " ".join(line(result, "database").split())
    assert database.startswith(f"✗ database CARE_DATABASE_URL uses {driver}://, which CARE")
    assert "sqlite:///path/to/care.db, postgresql:// or postgresql+psycopg://" in database
    assert line(result, "zendesk").startswith("✓")  # the others are still checked
    no_secret_in(result, "db-pw-7d2a")


def test_a_helpdesk_url_with_a_path_is_refused_not_blamed_on_credentials(
    tmp_path, env, freshdesk
) -> None:
    from_file = {k: v for k, v in env.items() if k != "CARE_FRESHDESK_URL"}
    toml = f'{SENDER_TOML}[freshdesk]\nurl = "{freshdesk.url}/api/v2/"\n'
    result = care_check(tmp_path, from_file, toml=toml)
    assert result.returncode == 1
    settings = " ".join(line(result, "freshdesk settings").split())
    assert settings.startswith(f"✗ freshdesk settings freshdesk.url in {tmp_path / 'care.toml'}")
    assert "must be the base URL only, e.g. https://acme.freshdesk.com, without a path" in settings
    assert freshdesk.url not in result.stdout  # the value is never shown
    assert "API key" not in result.stdout  # not the credentials' fault
    assert "not reached" in line(result, "freshdesk")
    assert line(result, "zendesk").startswith("✓")


def test_surveys_over_smtp_fail_on_loopback_links_and_the_example_sender(tmp_path, env) -> None:
    defaults = {k: v for k, v in env.items() if k != "CARE_SURVEY_BASE_URL"}
    result = care_check(tmp_path, defaults, toml="")
    assert result.returncode == 1
    links = line(result, "survey links")
    assert links.startswith("✗") and "CARE_SURVEY_BASE_URL is not set" in links
    assert "fix: set CARE_SURVEY_BASE_URL" in links
    sender = line(result, "survey sender")
    assert sender.startswith("✗") and "example address support@example.com" in sender
    assert "fix: set sender in the [survey] section of care.toml" in sender  # not eaten as markup
    assert line(result, "smtp").startswith("✓")


SMTP = {"CARE_SMTP_HOST": "smtp.acme-support.com"}


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        (None, "CARE_SURVEY_BASE_URL is not set"),
        ("http://127.0.0.1:8765", "points at 127.0.0.1, a loopback address"),
        ("https://localhost/care", "points at localhost, a loopback address"),
        ("http://[::1]:8765", "points at ::1, a loopback address"),
        ("http://survey.acme-support.com", "is http://"),
        ("survey.acme-support.com", "not an absolute https:// URL"),
    ],
)
def test_survey_links_that_customers_cannot_open_fail_over_smtp_and_warn_to_the_outbox(
    base_url, problem
) -> None:
    env = {"CARE_SURVEY_BASE_URL": base_url} if base_url else {}
    over_smtp = check_survey_links({**env, **SMTP}, Policy())
    assert over_smtp.outcome is Outcome.FAIL and problem in over_smtp.message
    assert over_smtp.hint and "CARE_SURVEY_BASE_URL" in over_smtp.hint
    to_outbox = check_survey_links(env, Policy())
    assert to_outbox.outcome is Outcome.WARN and problem in to_outbox.message


def test_a_public_https_survey_base_url_is_fine() -> None:
    env = {**SMTP, "CARE_SURVEY_BASE_URL": "https://survey.acme-support.com/care"}
    result = check_survey_links(env, Policy())
    assert result.outcome is Outcome.OK
    assert result.message == "survey e-mails link to https://survey.acme-support.com/care"


@pytest.mark.parametrize(
    "sender",
    ["Support <support@example.com>", "help@EXAMPLE.org", "Acme Support <support@acme.example>"],
)
def test_an_example_sender_fails_over_smtp_and_warns_to_the_outbox(sender) -> None:
    policy = Policy(survey=Survey(sender=sender))
    assert check_survey_sender(SMTP, policy).outcome is Outcome.FAIL
    assert check_survey_sender({}, policy).outcome is Outcome.WARN


def test_a_sender_of_ones_own_passes_and_one_without_an_address_fails() -> None:
    own = check_survey_sender(SMTP, Policy(survey=Survey(sender="Acme <care@acme-support.com>")))
    assert (
        own.outcome is Outcome.OK
        and own.message == "survey e-mails come from care@acme-support.com"
    )
    assert check_survey_sender({}, Policy(survey=Survey(sender="Acme"))).outcome is Outcome.FAIL


def test_surveys_switched_off_skip_the_survey_e_mail_checks() -> None:
    surveys_off = Policy(rules=Rules(disabled=("enhance.survey",)))
    assert check_survey_links(SMTP, surveys_off).outcome is Outcome.SKIPPED
    assert check_survey_sender(SMTP, surveys_off).outcome is Outcome.SKIPPED


def test_square_brackets_in_names_messages_and_hints_are_printed_as_written(monkeypatch) -> None:
    results = [
        CheckResult(
            "[freshdesk] url", Outcome.FAIL, "[freshdesk] url is wrong", "edit [freshdesk]"
        ),
        CheckResult("[survey]", Outcome.WARN, "first\n[survey] delay_hours", "see [survey]"),
    ]
    monkeypatch.setattr(checks, "run_checks", lambda: results)
    result = CliRunner().invoke(app, ["check"])
    assert result.exit_code == 1
    lines = [" ".join(text.split()) for text in result.output.splitlines()]
    assert lines == [
        "✗ [freshdesk] url [freshdesk] url is wrong",
        "fix: edit [freshdesk]",
        "! [survey] first",
        "[survey] delay_hours",
        "fix: see [survey]",
    ]


def test_a_config_error_with_square_brackets_reaches_the_terminal_whole(tmp_path, env) -> None:
    folder = tmp_path / "[freshdesk] settings"
    folder.mkdir()
    (folder / "care.toml").write_text(
        '[freshdesk]\nurl = "https://acme.freshdesk.com/x"\nkey = 1\n'
    )
    result = care_check(tmp_path, {**env, "CARE_CONFIG": str(folder / "care.toml")})
    assert result.returncode == 1
    assert f"{folder / 'care.toml'} is invalid:" in result.stdout  # "[freshdesk]" included
    assert "freshdesk.key: unknown key" in result.stdout


# --- settings that cannot be safe are refused, naming the variable, never the value -------


def test_a_short_survey_secret_fails_naming_it_and_how_to_make_one(tmp_path, env) -> None:
    result = care_check(tmp_path, {**env, "CARE_SURVEY_SECRET": "short-s3cret"})
    assert result.returncode == 1
    secret = line(result, "survey secret")
    assert secret.startswith("✗") and "CARE_SURVEY_SECRET is shorter than 32 bytes" in secret
    assert "fix: set CARE_SURVEY_SECRET to the output of `openssl rand -hex 32`" in secret
    assert line(result, "zendesk").startswith("✓")  # the others are still checked
    no_secret_in(result, "short-s3cret")


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ('[smtp]\npass = "smtp-pa55-s3cret"\n' + SENDER_TOML, "smtp: unknown key"),
        ('freshdesk.apikey = "fd-key-s3cret"\n' + SENDER_TOML, "freshdesk.apikey: unknown key"),
        (SENDER_TOML + 'delay_hours = "s3cret-pasted-here"\n', "survey.delay_hours: "),
    ],
)
def test_a_secret_in_the_wrong_place_of_care_toml_is_named_never_shown(
    tmp_path, env, toml, key
) -> None:
    result = care_check(tmp_path, env, toml=toml)
    assert result.returncode == 1
    assert line(result, "configuration").startswith("✗") and key in result.stdout
    assert "s3cret" not in result.stdout + result.stderr


def test_a_plain_http_helpdesk_fails_saying_https(tmp_path, env) -> None:
    result = care_check(tmp_path, {**env, "CARE_FRESHDESK_URL": "http://northwind.freshdesk.com"})
    assert result.returncode == 1
    settings = line(result, "freshdesk settings")
    assert settings.startswith("✗") and "CARE_FRESHDESK_URL must use https://" in settings
    assert "northwind" not in result.stdout
    assert line(result, "zendesk").startswith("✓")  # a sandbox on loopback: http is fine


def test_an_smtp_login_without_tls_to_another_host_fails_before_connecting(tmp_path, env) -> None:
    remote = {"CARE_SMTP_HOST": "smtp.acme-support.com", "CARE_SMTP_TLS": "none"}
    result = care_check(tmp_path, {**env, **remote})
    assert result.returncode == 1
    smtp = line(result, "smtp")
    assert smtp.startswith("✗") and "CARE_SMTP_TLS=none with CARE_SMTP_USER set" in smtp
    assert "CARE_SMTP_TLS=starttls" in smtp
    no_secret_in(result)


def test_an_smtp_login_without_tls_on_this_machine_is_fine(tmp_path, env, certificate) -> None:
    with smtp_server(certificate, tls="none") as plain:
        local = {"CARE_SMTP_PORT": str(plain.port), "CARE_SMTP_TLS": "none"}
        result = care_check(tmp_path, {**env, **local})
    smtp = line(result, "smtp")
    assert smtp.startswith("✓") and f"logged in as {USER} without TLS" in smtp


def test_the_error_event_routes_are_reported_by_their_secrets(tmp_path, env) -> None:
    plain = {
        k: v for k, v in env.items() if k not in ("CARE_SENTRY_CLIENT_SECRET", "CARE_EVENTS_SECRET")
    }
    assert line(care_check(tmp_path, plain), "error events").startswith("-")
    sentry = line(
        care_check(tmp_path, plain | {"CARE_SENTRY_CLIENT_SECRET": "s3cret-of-sentry"}),
        "error events",
    )
    assert sentry.startswith("✓") and "/events/sentry" in sentry and "/events/error" not in sentry
    assert "s3cret" not in sentry
    short = line(care_check(tmp_path, plain | {"CARE_EVENTS_SECRET": "too-short"}), "error events")
    assert short.startswith("✗") and "CARE_EVENTS_SECRET" in short and "too-short" not in short
    off = care_check(
        tmp_path,
        plain | {"CARE_SENTRY_CLIENT_SECRET": "s3cret-of-sentry"},
        SENDER_TOML + '\n[rules]\ndisabled = ["assist.proactive_outreach"]\n',
    )
    assert line(off, "error events").startswith("!")
