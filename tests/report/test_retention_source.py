"""The retention history read from a CSV file or a SQL query: the data contract checked
row by row, every refusal naming the source, the row and the column, and a database URL
(or its password) never in a message."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from care.domain.retention import RetentionData
from care.report.retention import (
    CsvSource,
    QuerySource,
    RetentionError,
    load_retention,
    retention_from_settings,
)
from care.settings.load import load_settings

JAN_1 = datetime(2026, 1, 1, tzinfo=UTC)
PASSWORD = "pa55-w0rd-s3cret"
GOOD_CSV = (
    "id,Event,EMAIL,date,amount\n"
    "1,purchase,Ann@Acme.test ,2026-02-01,10\n"
    "2,RENEWAL, ann@acme.test,2026-01-01T10:30:00+01:00,20\n"
    "3,churn,bob@acme.test,2026-03-01T00:00:00Z,\n"
    "\n"
    '4,Purchase,bob@acme.test,2026-01-15 08:00,"a note, with a comma\nand a line"\n'
)
GOOD_DATA = RetentionData(
    purchases={
        "ann@acme.test": (
            datetime(2026, 1, 1, 9, 30, tzinfo=UTC),
            datetime(2026, 2, 1, tzinfo=UTC),
        ),
        "bob@acme.test": (datetime(2026, 1, 15, 8, tzinfo=UTC),),
    },
    churns={"bob@acme.test": (datetime(2026, 3, 1, tzinfo=UTC),)},
)


def csv_file(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "retention.csv"
    path.write_text(text, encoding=encoding, newline="")
    return path


def refused(source: CsvSource | QuerySource) -> str:
    with pytest.raises(RetentionError) as raised:
        load_retention(source)
    return str(raised.value)


def refused_csv(tmp_path: Path, text: str) -> str:
    path = csv_file(tmp_path, text)
    message = refused(CsvSource(path))
    assert message.startswith(f"retention CSV {path}")
    return message


# --- CSV ------------------------------------------------------------------------------


def test_a_good_file_gives_each_customers_sorted_history(tmp_path):
    assert load_retention(CsvSource(csv_file(tmp_path, GOOD_CSV))) == GOOD_DATA


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    path = csv_file(tmp_path, "email,date,event\nann@acme.test,2026-01-01,purchase\n", "utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_retention(CsvSource(path)).purchases == {"ann@acme.test": (JAN_1,)}


def test_a_header_alone_is_an_empty_history(tmp_path):
    data = load_retention(CsvSource(csv_file(tmp_path, "email,date,event\r\n")))
    assert data == RetentionData() and data.customers == 0


def test_an_empty_file_says_a_header_is_needed(tmp_path):
    assert "is empty: its first row must name the columns email, date, event" in refused_csv(
        tmp_path, ""
    )


def test_missing_columns_are_all_named_with_the_columns_found(tmp_path):
    message = refused_csv(tmp_path, "mail,day,event,amount\nann@acme.test,2026-01-01,churn,1\n")
    assert (
        "missing columns email, date (the columns must be email, date, event); "
        "found: 'mail', 'day', 'event', 'amount'"
    ) in message


def test_a_header_of_many_long_columns_is_listed_short(tmp_path):
    header = ",".join(f"column_{i}_{'x' * 100}" for i in range(500))
    message = refused_csv(tmp_path, header + "\n")
    assert "missing columns email, date, event" in message and "and 480 more" in message
    assert len(message) < 2_000


def test_a_column_given_twice_is_refused(tmp_path):
    message = refused_csv(tmp_path, "email,date,event,Email\n")
    assert "column email appears more than once" in message


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ("2026-13-01", "'2026-13-01'"),
        ("01/02/2026", "'01/02/2026'"),
        ("", "''"),
        ("yesterday" * 20, "'" + ("yesterday" * 20)[:40] + "'… (180 characters)"),
    ],
)
def test_a_bad_date_is_named_with_its_row(tmp_path, cell, shown):
    text = f"email,date,event\nann@acme.test,2026-01-01,purchase\nann@acme.test,{cell},churn\n"
    message = refused_csv(tmp_path, text)
    assert message.endswith(f": row 3: date is not an ISO 8601 date or date and time: {shown}")


def test_an_unknown_event_is_named_with_its_row(tmp_path):
    text = "email,date,event\n\nann@acme.test,2026-01-01,refund\n"
    message = refused_csv(tmp_path, text)  # the blank line is row 2, skipped but counted
    assert message.endswith(": row 3: event is not purchase, renewal or churn: 'refund'")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("", "row 2: email is empty: ''"),
        ("ann.acme.test", "row 2: email is not an e-mail address: 'ann.acme.test'"),
        ("ann\x00@acme.test", "row 2: email is not an e-mail address: 'ann\\x00@acme.test'"),
    ],
)
def test_a_bad_e_mail_is_named_with_its_row(tmp_path, cell, expected):
    message = refused_csv(tmp_path, f"email,date,event\n{cell},2026-01-01,purchase\n")
    assert message.endswith(expected)


def test_nul_characters_are_quoted_escaped_never_raw(tmp_path):
    message = refused_csv(tmp_path, "email,date,event\nann@acme.test,2026-01-01\x00,purchase\n")
    assert "row 2: date is not an ISO 8601" in message and "'2026-01-01\\x00'" in message
    assert "\x00" not in message
    nul_elsewhere = "email,date,event,note\nann@acme.test,2026-01-01,purchase,\x00\x00\n"
    assert load_retention(CsvSource(csv_file(tmp_path, nul_elsewhere))).customers == 1


def test_a_huge_cell_is_refused_and_quoted_short(tmp_path):
    email = "a" * 5_000 + "@acme.test"
    message = refused_csv(tmp_path, f"email,date,event\n{email},2026-01-01,purchase\n")
    assert "row 2: email is longer than 1,024 characters: 'aaaa" in message
    assert "(5,010 characters)" in message and len(message) < 300


def test_a_huge_line_is_refused_without_reading_it_whole(tmp_path):
    text = "email,date,event\nann@acme.test,2026-01-01,purchase," + "x" * 3_000_000 + "\n"
    message = refused_csv(tmp_path, text)
    assert message.endswith(": line 2 is longer than 65,536 bytes")


def test_a_quoted_cell_over_many_lines_is_refused_beyond_the_csv_limit(tmp_path):
    cell = '"' + ("y" * 60_000 + "\n") * 5 + '"'
    message = refused_csv(
        tmp_path, f"email,date,event,note\nann@acme.test,2026-01-01,churn,{cell}\n"
    )
    assert "is not a readable CSV file: field larger than field limit" in message


def test_lines_ending_in_a_lone_carriage_return_are_explained(tmp_path):
    message = refused_csv(tmp_path, "email,date,event\rann@acme.test,2026-01-01,churn\r")
    assert "is not a readable CSV file: its lines end in a carriage return alone" in message


def test_a_row_shorter_than_the_header_is_named(tmp_path):
    message = refused_csv(tmp_path, "note,email,date,event\nhello,ann@acme.test\n")
    assert message.endswith(": row 2: 2 cells where the header has 4")


def test_a_file_that_is_not_utf_8_is_named_with_its_line(tmp_path):
    path = tmp_path / "retention.csv"
    path.write_bytes(
        b"email,date,event\nann@acme.test,2026-01-01,purchase\nj\xe9r@x.fr,2026,churn\n"
    )
    assert refused(CsvSource(path)).endswith(": line 3 is not UTF-8 text")


def test_a_missing_file_or_a_folder_cannot_be_read(tmp_path):
    missing = tmp_path / "nope.csv"
    assert refused(CsvSource(missing)) == (
        f"retention CSV {missing} cannot be read: No such file or directory"
    )
    assert (
        refused(CsvSource(tmp_path)) == f"retention CSV {tmp_path} cannot be read: Is a directory"
    )


# --- SQL ------------------------------------------------------------------------------


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A SQLite file with an event table, and its URL."""
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE events (Mail TEXT, At TEXT, Kind TEXT, amount REAL)")
        db.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?)",
            [
                ("ann@acme.test", "2026-02-01", "purchase", 10),
                (" ANN@acme.test", "2026-01-01T10:30:00+01:00", "Renewal", 20),
                ("bob@acme.test", "2026-03-01T00:00:00Z", "churn", None),
                ("bob@acme.test", "2026-01-15 08:00", "purchase", 5),
            ],
        )
    yield path, f"sqlite:///{path}"


def query(sql: str, url: str | None) -> QuerySource:
    return QuerySource(sql, SecretStr(url) if url is not None else None)


GOOD_QUERY = "SELECT Mail AS email, At AS date, kind AS EVENT, amount FROM events WHERE 1 = 1"


def test_a_query_gives_the_same_history_as_the_file(shop):
    _, url = shop
    assert load_retention(query(GOOD_QUERY, url)) == GOOD_DATA


def test_a_query_with_percent_and_colon_in_it_runs_as_written(shop):
    _, url = shop
    sql = GOOD_QUERY + " AND Mail LIKE '%@acme.test' AND '10:30' <> ':at'"
    assert load_retention(query(sql, url)) == GOOD_DATA


def test_the_querys_missing_columns_are_named_with_its_columns(shop):
    _, url = shop
    message = refused(query("SELECT Mail, At AS date, Kind FROM events", url))
    assert message == (
        "retention query (report.retention.query on CARE_RETENTION_DATABASE_URL): missing "
        "columns email, event (the columns must be email, date, event); "
        "found: 'Mail', 'date', 'Kind'"
    )


def test_a_null_or_a_number_is_refused_with_its_row(shop):
    _, url = shop
    sql = "SELECT Mail AS email, At AS date, Kind AS event FROM events ORDER BY At"
    with sqlite3.connect(shop[0]) as db:
        db.execute("INSERT INTO events VALUES (NULL, '2026-04-01', 'churn', 1)")
    assert refused(query(sql, url)).endswith(": row 5: email is not text: NULL")
    numbers = "SELECT Mail AS email, amount AS date, Kind AS event FROM events ORDER BY amount"
    assert refused(query(numbers, url)).endswith(": row 1: date is not a date: NULL")


def test_a_failing_query_gives_the_error_not_the_url(shop):
    path, url = shop
    message = refused(query("SELECT email, date, event FROM no_such_table", url))
    assert message == (
        "retention query (report.retention.query on CARE_RETENTION_DATABASE_URL) failed: "
        "OperationalError: no such table: no_such_table"
    )
    assert str(path) not in message


def test_the_query_cannot_write(shop):
    path, url = shop
    message = refused(query("DELETE FROM events", url))
    assert "failed: OperationalError: attempt to write a readonly database" in message
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM events").fetchone() == (4,)


def test_an_unset_url_names_the_variable():
    message = refused(query(GOOD_QUERY, None))
    assert "CARE_RETENTION_DATABASE_URL is not set: set it to the SQLAlchemy URL" in message


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"not a url {PASSWORD}", "CARE_RETENTION_DATABASE_URL is not a SQLAlchemy URL"),
        (
            f"nosuchdb://reader:{PASSWORD}@db/shop",
            "CARE_RETENTION_DATABASE_URL names the database driver nosuchdb, which is not",
        ),
        (
            f"sqlite://reader:{PASSWORD}@/shop.db",
            "CARE_RETENTION_DATABASE_URL is not a URL sqlite accepts",
        ),
    ],
)
def test_a_bad_url_is_named_by_its_variable_never_shown(url, expected):
    message = refused(query(GOOD_QUERY, url))
    assert expected in message and PASSWORD not in message


def test_retention_from_settings_reads_the_configured_source(tmp_path, shop):
    config = tmp_path / "care.toml"
    config.write_text('[report]\ndir = "reports"\n', encoding="utf-8")
    assert retention_from_settings(load_settings(config, env={})) is None
    csv_file(tmp_path, GOOD_CSV)
    config.write_text('[report.retention]\ncsv = "retention.csv"\n', encoding="utf-8")
    assert retention_from_settings(load_settings(config, env={})) == GOOD_DATA
    config.write_text(f'[report.retention]\nquery = "{GOOD_QUERY}"\n', encoding="utf-8")
    env = {"CARE_RETENTION_DATABASE_URL": shop[1]}
    assert retention_from_settings(load_settings(config, env=env)) == GOOD_DATA
    with pytest.raises(RetentionError, match="CARE_RETENTION_DATABASE_URL is not set"):
        retention_from_settings(load_settings(config, env={}))


# --- PostgreSQL (CARE_TEST_DATABASE_URL, as the store's tests) --------------------------


@pytest.fixture
def pg_events() -> Iterator[tuple[str, str]]:
    """A table of its own in the test PostgreSQL, and the URL with a password in it."""
    from sqlalchemy import create_engine, make_url, text
    from sqlalchemy.exc import OperationalError

    given = os.environ.get("CARE_TEST_DATABASE_URL")
    if not given:
        pytest.skip("CARE_TEST_DATABASE_URL is not set")
    url = make_url(given).set(drivername="postgresql+psycopg")
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    table = f"care_retention_{uuid.uuid4().hex[:12]}"
    try:
        with engine.begin() as db:
            db.execute(
                text(
                    f"CREATE TABLE {table} "
                    "(id serial, mail text, at timestamptz, day date, kind text)"
                )
            )
    except OperationalError:
        pytest.skip("the test PostgreSQL cannot be reached")
    try:
        with engine.begin() as db:
            db.execute(
                text(
                    f"INSERT INTO {table} (mail, at, day, kind) "
                    "SELECT 'c' || (n % 1000) || '@acme.test', "
                    "timestamptz '2026-01-01 00:00+01' + n * interval '1 minute', "
                    "date '2026-01-01' + (n % 30), "
                    "CASE WHEN n % 10 = 0 THEN 'churn' ELSE 'purchase' END "
                    "FROM generate_series(1, 25000) AS n"
                )
            )
        with_password = url.set(password=url.password or PASSWORD)
        yield table, with_password.render_as_string(hide_password=False)
    finally:
        with engine.begin() as db:
            db.execute(text(f"DROP TABLE IF EXISTS {table}"))
        engine.dispose()


def test_postgresql_timestamps_and_dates_stream_in(pg_events):
    table, url = pg_events
    sql = f"SELECT mail AS email, at AS date, kind AS event FROM {table} WHERE mail LIKE 'c%'"
    data = load_retention(query(sql, url))  # more rows than one fetch
    assert data.customers == 1_000
    assert data.purchases["c1@acme.test"][0] == datetime(2025, 12, 31, 23, 1, tzinfo=UTC)
    assert sum(map(len, data.purchases.values())) + sum(map(len, data.churns.values())) == 25_000
    by_day = load_retention(
        query(f"SELECT mail AS email, day AS date, kind AS event FROM {table}", url)
    )
    # c10 churns at n = 10, 1010, ... 24010: on day 10, 20, 0, 10, ... after January 1st
    days = {datetime(2026, 1, day, tzinfo=UTC) for day in (1, 11, 21)}
    assert set(by_day.churns["c10@acme.test"]) == days


def test_postgresql_runs_the_query_read_only(pg_events):
    table, url = pg_events
    sql = f"SELECT mail AS email, at AS date, kind AS event, nextval('{table}_id_seq') FROM {table}"
    message = refused(query(sql, url))
    assert "failed: ReadOnlySqlTransaction: cannot execute nextval() in a read-only" in message
    delete = (
        f"WITH gone AS (DELETE FROM {table} RETURNING mail, at, kind) "
        "SELECT mail AS email, at AS date, kind AS event FROM gone"
    )
    assert "failed: FeatureNotSupported: DECLARE CURSOR must not" in refused(query(delete, url))
    count = f"SELECT mail AS email, at AS date, kind AS event FROM {table}"
    assert load_retention(query(count, url)).customers == 1_000


def test_a_postgresql_error_never_shows_the_password(pg_events):
    _, url = pg_events
    message = refused(query(f'SELECT * FROM "{PASSWORD}"', url))
    assert 'failed: UndefinedTable: relation "***" does not exist' in message
    assert PASSWORD not in message and url not in message
    message = refused(query("SELECT 1", f"{url}?{PASSWORD}=1"))
    assert 'failed: ProgrammingError: invalid connection option "***"' in message
    assert PASSWORD not in message
