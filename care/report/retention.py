"""The customers' purchases, renewals and churn, for the report's retention figures
(care/domain/retention.py): read from a CSV file or from a SQL query, when
`[report.retention]` names one. Optional: no source, no figures.

The data contract, the same for both sources:

- columns `email`, `date` and `event` (their names trimmed and compared case-insensitively;
  other columns are ignored; each of the three must appear once);
- `email`: the customer's e-mail address, compared trimmed and case-insensitively with the
  tickets' requesters;
- `date`: an ISO 8601 date (2026-03-01, taken as midnight UTC) or date and time
  (2026-03-01T14:30:00+01:00; without an offset, UTC); a query may also return its
  database's own date or timestamp type;
- `event`: purchase, renewal or churn, in any case;
- a cell is at most 1,024 characters (a CSV line at most 65,536 bytes); a blank CSV line
  is skipped.

A CSV file is UTF-8 (a byte order mark is allowed) with a header row. A query runs once on
the database of CARE_RETENTION_DATABASE_URL (a secret: never in care.toml, never in a
message), inside a transaction that is rolled back, read-only on PostgreSQL and SQLite;
give it a user that can only read. Its rows are streamed, not held.

The first row that breaks the contract fails the whole load with a `RetentionError`
naming the source, the row (counted as a spreadsheet does: the CSV header is row 1; a
query's first row is row 1), the column and the first 40 characters of the cell, escaped:
a report built on part of a history would be wrong without saying so. A CSV line too long
or not UTF-8 is named by its line in the file instead.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

from pydantic import SecretStr

from care.domain.retention import RetentionData, as_utc, normalise_email
from care.settings.secrets import RETENTION_DATABASE_URL

if TYPE_CHECKING:
    from care.settings.load import Settings

COLUMNS = ("email", "date", "event")
PURCHASES = frozenset({"purchase", "renewal"})
CHURN = "churn"
MAX_CELL = 1_024  # characters of one of the three cells
MAX_LINE = 65_536  # bytes of a CSV line, whatever its columns
QUOTED = 40  # characters of a bad cell shown in a message
LISTED_COLUMNS = 20  # column names shown when some are missing
LONE_CR = (
    "its lines end in a carriage return alone (as Excel's CSV (Macintosh) writes them): "
    "save it as CSV UTF-8"
)


class RetentionError(ValueError):
    """The retention source cannot be read or breaks the data contract; the message names
    the source and what is wrong (never the database URL)."""


@dataclass(frozen=True)
class CsvSource:
    path: Path

    def __str__(self) -> str:
        return f"retention CSV {self.path}"


@dataclass(frozen=True)
class QuerySource:
    query: str
    database_url: SecretStr | None = field(default=None, repr=False)  # may hold a password

    def __str__(self) -> str:
        return f"retention query (report.retention.query on {RETENTION_DATABASE_URL})"


RetentionSource = CsvSource | QuerySource


def retention_from_settings(settings: Settings) -> RetentionData | None:
    """The history `[report.retention]` names, or None when it names none."""
    config = settings.retention
    if config is None:
        return None
    if config.csv is not None:
        return load_retention(CsvSource(Path(config.csv)))
    return load_retention(QuerySource(config.query or "", config.database_url))


def load_retention(source: RetentionSource) -> RetentionData:
    """Every row of `source`, checked against the data contract (module docstring)."""
    history = History(str(source))
    if isinstance(source, CsvSource):
        _read_csv(source.path, history)
    else:
        from care.report.retention_sql import read_query  # SQLAlchemy only when used

        read_query(source, history)
    return history.data()


def quoted(cell: str) -> str:
    """The first `QUOTED` characters of a cell, escaped to one printable line."""
    shown = repr(cell[:QUOTED])
    return f"{shown}… ({len(cell):,} characters)" if len(cell) > QUOTED else shown


def column_indexes(source: str, names: Sequence[object]) -> tuple[int, int, int]:
    """Where email, date and event are among `names` (a header or a query's columns)."""
    found = [str(name).strip().lower() for name in names]
    missing = [column for column in COLUMNS if column not in found]
    if missing:
        raise RetentionError(
            f"{source}: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
            f" (the columns must be {', '.join(COLUMNS)}); found: {_listed(names)}"
        )
    twice = [column for column in COLUMNS if found.count(column) > 1]
    if twice:
        raise RetentionError(f"{source}: column {twice[0]} appears more than once")
    email, day, event = (found.index(column) for column in COLUMNS)
    return email, day, event


def _listed(names: Sequence[object]) -> str:
    if not names:
        return "no columns"
    shown = ", ".join(quoted(str(name)) for name in names[:LISTED_COLUMNS])
    more = len(names) - LISTED_COLUMNS
    return f"{shown} and {more:,} more" if more > 0 else shown


class History:
    """The rows read so far, checked one by one (`add`), then `data()`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.purchases: dict[str, list[datetime]] = {}
        self.churns: dict[str, list[datetime]] = {}
        self._days: dict[str, datetime] = {}  # date-only cells parsed: few distinct ones

    def add(self, row: int, email: object, when: object, event: object) -> None:
        customer = self._email(row, email)
        at = self._date(row, when)
        kind = event.strip().lower() if isinstance(event, str) else None
        if kind in PURCHASES:
            self.purchases.setdefault(customer, []).append(at)
        elif kind == CHURN:
            self.churns.setdefault(customer, []).append(at)
        else:
            self.refuse(row, "event", "is not purchase, renewal or churn", event)

    def data(self) -> RetentionData:
        return RetentionData(
            purchases={email: tuple(sorted(times)) for email, times in self.purchases.items()},
            churns={email: tuple(sorted(times)) for email, times in self.churns.items()},
        )

    def refuse(self, row: int, column: str, problem: str, cell: object) -> NoReturn:
        shown = quoted(cell) if isinstance(cell, str) else _kind(cell)
        raise RetentionError(f"{self.source}: row {row}: {column} {problem}: {shown}")

    def _email(self, row: int, email: object) -> str:
        if not isinstance(email, str):
            self.refuse(row, "email", "is not text", email)
        if not email.strip():
            self.refuse(row, "email", "is empty", email)
        if len(email) > MAX_CELL:
            self.refuse(row, "email", f"is longer than {MAX_CELL:,} characters", email)
        customer = normalise_email(email)
        if "@" not in customer or not customer.isprintable():
            self.refuse(row, "email", "is not an e-mail address", email)
        return customer

    def _date(self, row: int, when: object) -> datetime:
        if isinstance(when, datetime):
            return as_utc(when)
        if isinstance(when, date):
            return datetime(when.year, when.month, when.day, tzinfo=UTC)
        if not isinstance(when, str):
            self.refuse(row, "date", "is not a date", when)
        if len(when) > MAX_CELL:
            self.refuse(row, "date", f"is longer than {MAX_CELL:,} characters", when)
        text = when.strip()
        day = self._days.get(text)
        if day is not None:
            return day
        try:
            parsed = as_utc(datetime.fromisoformat(text))
        except ValueError:
            self.refuse(row, "date", "is not an ISO 8601 date or date and time", when)
        if len(text) <= len("2026-03-01"):
            self._days[text] = parsed
        return parsed


def _kind(cell: object) -> str:
    """What a cell that is not text holds, without its value."""
    return "NULL" if cell is None else f"a value of type {type(cell).__name__}"


def _read_csv(path: Path, history: History) -> None:
    try:
        with path.open("rb") as file:
            _read_rows(csv.reader(_lines(file, history.source)), history)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise RetentionError(f"{history.source} cannot be read: {reason}") from None
    except csv.Error as exc:
        reason = LONE_CR if "new-line character" in str(exc) else str(exc)
        raise RetentionError(f"{history.source} is not a readable CSV file: {reason}") from None


def _read_rows(reader: Iterator[list[str]], history: History) -> None:
    header = next(reader, None)
    if header is None:
        raise RetentionError(
            f"{history.source} is empty: its first row must name the columns {', '.join(COLUMNS)}"
        )
    email, day, event = column_indexes(history.source, header)
    needed = max(email, day, event) + 1
    for row, cells in enumerate(reader, start=2):
        if (len(cells) < needed or not cells[email].strip()) and not "".join(cells).strip():
            continue  # a blank line
        if len(cells) < needed:
            raise RetentionError(
                f"{history.source}: row {row}: {len(cells)} cells where the header has "
                f"{len(header)}"
            )
        history.add(row, cells[email], cells[day], cells[event])


def _lines(file: IO[bytes], source: str) -> Iterable[str]:
    """The lines of `file` decoded (a byte order mark dropped), each refused beyond
    `MAX_LINE` bytes before it is read whole, or when it is not UTF-8."""
    number = 0
    while line := file.readline(MAX_LINE):
        number += 1
        if len(line) == MAX_LINE and not line.endswith(b"\n"):
            raise RetentionError(f"{source}: line {number} is longer than {MAX_LINE:,} bytes")
        try:
            yield line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise RetentionError(f"{source}: line {number} is not UTF-8 text") from None
