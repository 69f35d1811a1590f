"""`[report.retention]`: optional, one source (a CSV file or a query), the query's database
URL only from CARE_RETENTION_DATABASE_URL, windows within range; errors name the key and
never show the value written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from care.settings.file import RetentionSection, read_config_file
from care.settings.load import ConfigError, RetentionSettings, load_settings

ROOT = Path(__file__).resolve().parents[2]
URL = "postgresql+psycopg://reader:pa55-w0rd-s3cret@shop.internal/shop"
QUERY = "SELECT email, date, event FROM customer_events"


def write(folder: Path, text: str) -> Path:
    path = folder / "care.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(tmp_path: Path, toml: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(write(tmp_path, toml), env=env or {})
    return str(raised.value)


def test_no_section_means_no_retention(tmp_path):
    assert load_settings(write(tmp_path, "[report]\ndir = 'out'\n"), env={}).retention is None


def test_the_example_file_sets_no_source_and_the_default_windows(monkeypatch):
    monkeypatch.chdir(ROOT)
    file, _ = read_config_file("care.example.toml", env={})
    assert file.report.retention == RetentionSection()
    assert load_settings("care.example.toml", env={}).retention is None


def test_the_example_file_keys_left_commented_out_are_valid(tmp_path):
    example = (ROOT / "care.example.toml").read_text(encoding="utf-8")
    for key in ("csv", "query"):
        line = re.search(rf"^# ({key} = .*?)\s+#", example, flags=re.MULTILINE)
        assert line, f"report.retention.{key} is not in care.example.toml"
        text = example.replace(line.group(0), line.group(1) + " #", 1)
        retention = load_settings(write(tmp_path, text), env={}).retention
        assert retention is not None and getattr(retention, key)


def test_a_section_without_a_source_means_no_retention(tmp_path):
    path = write(tmp_path, "[report.retention]\nwindows_days = [7]\n")
    assert load_settings(path, env={}).retention is None


def test_a_relative_csv_is_relative_to_the_file_and_an_absolute_one_kept(tmp_path, monkeypatch):
    folder = tmp_path / "etc"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)
    path = write(folder, '[report.retention]\ncsv = "data/retention.csv"\nwindows_days = [90, 7]\n')
    assert load_settings(path, env={}).retention == RetentionSettings(
        csv=str(folder / "data" / "retention.csv"), windows_days=(7, 90)
    )
    path = write(folder, '[report.retention]\ncsv = "/srv/retention.csv"\n')
    assert load_settings(path, env={}).retention.csv == "/srv/retention.csv"


def test_a_query_reads_its_url_from_the_environment_as_a_secret(tmp_path):
    path = write(tmp_path, f'[report.retention]\nquery = "{QUERY}"\n')
    retention = load_settings(path, env={"CARE_RETENTION_DATABASE_URL": URL}).retention
    assert retention is not None and retention.query == QUERY and retention.csv is None
    assert isinstance(retention.database_url, SecretStr)
    assert retention.database_url.get_secret_value() == URL
    assert "s3cret" not in repr(retention) + str(retention)
    assert retention.windows_days == (30, 90)


def test_a_query_without_its_url_is_not_refused_at_load(tmp_path):
    # Optional: the polls start; the report's load says CARE_RETENTION_DATABASE_URL is unset.
    path = write(tmp_path, f'[report.retention]\nquery = "{QUERY}"\n')
    retention = load_settings(path, env={}).retention
    assert retention is not None and retention.database_url is None


def test_the_url_of_a_csv_source_is_not_read(tmp_path):
    path = write(tmp_path, '[report.retention]\ncsv = "r.csv"\n')
    env = {"CARE_RETENTION_DATABASE_URL": URL}
    assert load_settings(path, env=env).retention.database_url is None


def test_csv_and_query_both_set_is_refused_naming_both(tmp_path):
    message = refused(tmp_path, f'[report.retention]\ncsv = "r.csv"\nquery = "{QUERY}"\n')
    assert "report.retention: csv and query are both set" in message
    assert "r.csv" not in message and "customer_events" not in message


@pytest.mark.parametrize("key", ["url", "database_url"])
def test_a_url_in_the_file_is_refused_naming_the_variable(tmp_path, key):
    message = refused(tmp_path, f'[report.retention]\nquery = "{QUERY}"\n{key} = "{URL}"\n')
    assert f"report.retention.{key} is a secret and must not be in the file" in message
    assert "set CARE_RETENTION_DATABASE_URL in the environment instead" in message
    assert "s3cret" not in message and "shop.internal" not in message


def test_a_url_in_a_runs_overrides_is_refused_too(tmp_path):
    with pytest.raises(ConfigError, match="CARE_RETENTION_DATABASE_URL") as raised:
        load_settings(
            write(tmp_path, ""), env={}, overrides={"report": {"retention": {"url": URL}}}
        )
    assert "s3cret" not in str(raised.value)


def test_a_helpdesk_url_is_still_a_url_and_not_a_secret(tmp_path):
    path = write(tmp_path, '[zendesk]\nurl = "https://acme.zendesk.com"\n')
    assert read_config_file(path, env={})[0].zendesk.url == "https://acme.zendesk.com"


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        ("[0]", "each window must be from 1 to 365 days"),
        ("[30, 366]", "each window must be from 1 to 365 days"),
        ("[-7]", "each window must be from 1 to 365 days"),
        ("[99999999999]", "each window must be from 1 to 365 days"),
        ("[]", "must list 1 to 4 windows (days)"),
        ("[1, 2, 3, 4, 5]", "must list 1 to 4 windows (days)"),
        ("[30.5]", "Input should be a valid integer"),
        ('["thirty"]', "Input should be a valid integer"),
        ("[true]", "Input should be a valid integer"),
        ("30", "Input should be a valid tuple"),
    ],
)
def test_windows_out_of_range_are_refused_with_the_range(tmp_path, windows, expected):
    message = refused(tmp_path, f"[report.retention]\nwindows_days = {windows}\n")
    assert "report.retention.windows_days" in message and expected in message
    for value in ("366", "99999999999", "30.5", "thirty"):
        assert value not in message


def test_four_windows_are_kept_sorted_and_once_each(tmp_path):
    toml = '[report.retention]\ncsv = "r.csv"\nwindows_days = [365, 1, 30, 30]\n'
    assert load_settings(write(tmp_path, toml), env={}).retention.windows_days == (1, 30, 365)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('csv = "  "', "report.retention.csv: is empty: remove the key, or set it"),
        ('query = ""', "report.retention.query: is empty: remove the key, or set it"),
        ('query = "SELECT 1\\u0000"', "report.retention.query: holds a NUL character"),
        ("csv = 3", "report.retention.csv: Input should be a valid string"),
        ('cvs = "r.csv"', "report.retention.cvs: unknown key; did you mean report.retention.csv?"),
    ],
)
def test_a_bad_source_is_named(tmp_path, toml, expected):
    assert expected in refused(tmp_path, f"[report.retention]\n{toml}\n")
