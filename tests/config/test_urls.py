"""URL settings refused at load, naming the variable or key and never showing the value:
a helpdesk base URL with a path, a database URL the store cannot open."""

from __future__ import annotations

from pathlib import Path

import pytest

from care.settings.load import ConfigError, load_settings, load_store_settings

CREDENTIALS = {
    "CARE_ZENDESK_CLIENT_ID": "care",
    "CARE_ZENDESK_CLIENT_SECRET": "s3cret-value",
    "CARE_FRESHDESK_API_KEY": "k3y",
}


def config_file(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "care.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("variable", "url", "example"),
    [
        ("CARE_ZENDESK_URL", "https://northwind.zendesk.com/api/v2/", "https://acme.zendesk.com"),
        ("CARE_ZENDESK_URL", "https://northwind.zendesk.com/agent", "https://acme.zendesk.com"),
        (
            "CARE_FRESHDESK_URL",
            "https://northwind.freshdesk.com/api/v2",
            "https://acme.freshdesk.com",
        ),
        ("CARE_FRESHDESK_URL", "https://northwind.freshdesk.com?x=1", "https://acme.freshdesk.com"),
    ],
)
def test_a_helpdesk_url_with_a_path_is_refused_naming_the_variable(
    tmp_path, variable, url, example
):
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file(tmp_path), env={**CREDENTIALS, variable: url})
    message = str(raised.value)
    assert message.startswith(f"{variable} must be the base URL only, e.g. {example}, without")
    assert "northwind" not in message


def test_a_helpdesk_url_with_a_path_in_the_file_names_the_key_and_the_file(tmp_path):
    path = config_file(tmp_path, '[freshdesk]\nurl = "https://northwind.freshdesk.com/api/v2/"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(path, env=CREDENTIALS)
    assert f"freshdesk.url in {path} must be the base URL only" in str(raised.value)
    assert "northwind" not in str(raised.value)


def test_credentials_in_a_helpdesk_url_are_refused_without_showing_them(tmp_path):
    env = {**CREDENTIALS, "CARE_ZENDESK_URL": "https://care:pa55@northwind.zendesk.com"}
    with pytest.raises(ConfigError, match="CARE_ZENDESK_URL must be the base URL only") as raised:
        load_settings(config_file(tmp_path), env=env)
    assert "pa55" not in str(raised.value)


@pytest.mark.parametrize("url", ["https://acme.zendesk.com/", "http://127.0.0.1:8123"])
def test_a_base_url_with_or_without_a_trailing_slash_is_accepted(tmp_path, url):
    settings = load_settings(config_file(tmp_path), env={**CREDENTIALS, "CARE_ZENDESK_URL": url})
    assert settings.helpdesk("zendesk").url == url.rstrip("/")


def test_a_helpdesk_url_without_a_scheme_is_refused_without_showing_it(tmp_path):
    env = {**CREDENTIALS, "CARE_FRESHDESK_URL": "northwind.freshdesk.com"}
    with pytest.raises(ConfigError, match="CARE_FRESHDESK_URL must start with https://") as raised:
        load_settings(config_file(tmp_path), env=env)
    assert "northwind" not in str(raised.value)


UNUSABLE_DATABASES = [
    "postgresql+asyncpg://care:db-pw-7d2a@db.internal/care",
    "mysql://care:db-pw-7d2a@db.internal/care",
    "postgresql+psycopg2://care:db-pw-7d2a@db.internal/care",
    "sqlite+aiosqlite:///db-pw-7d2a.db",
    "db-pw-7d2a",  # not a URL at all
]


@pytest.mark.parametrize("url", UNUSABLE_DATABASES)
@pytest.mark.parametrize("load", [load_settings, load_store_settings])
def test_a_database_url_the_store_cannot_open_names_the_ones_that_work(tmp_path, url, load):
    with pytest.raises(ConfigError) as raised:
        load(config_file(tmp_path), env={"CARE_DATABASE_URL": url})
    message = str(raised.value)
    assert message.startswith("CARE_DATABASE_URL ")
    assert "sqlite:///path/to/care.db, postgresql:// or postgresql+psycopg://" in message
    assert "db-pw-7d2a" not in message and "db.internal" not in message


def test_a_database_url_in_the_file_the_store_cannot_open_names_the_key(tmp_path):
    path = config_file(tmp_path, 'database_url = "mysql://care:db-pw-7d2a@db.internal/care"\n')
    with pytest.raises(ConfigError, match=rf"database_url in {path} uses mysql://, which CARE"):
        load_settings(path, env={})


@pytest.mark.parametrize(
    "url",
    [
        "postgres://care@db.internal/care",
        "postgresql://care@db.internal/care",
        "postgresql+psycopg://care@db.internal/care",
        "sqlite:///care.db",
        "sqlite+pysqlite:///care.db",
        "sqlite://",
    ],
)
def test_database_urls_the_store_opens_are_accepted(tmp_path, url):
    assert load_settings(config_file(tmp_path), env={"CARE_DATABASE_URL": url}).database_url == url
