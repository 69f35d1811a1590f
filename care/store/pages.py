"""Recording a page of tickets: what came of it, and which errors mean "the database
refuses this data" (quarantine the ticket) rather than "the database is not there"
(fail the page, read it again next time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    ProgrammingError,
    StatementError,
)

from care.domain.text import clean_line

MAX_REASON = 300


@dataclass
class RecordedPage:
    surveys_scheduled: int = 0  # surveys scheduled or rescheduled
    released: int = 0  # tickets that left quarantine
    refused: dict[str, str] = field(
        default_factory=dict
    )  # ticket id -> why the database refused it


def refused_data(error: BaseException) -> bool:
    """The database (or its driver) refused the values themselves: a NUL in PostgreSQL text,
    a lone surrogate no driver can encode, a value of the wrong type. Connection losses,
    lock timeouts and serialisation failures (OperationalError, InterfaceError) are not:
    the same page may be recorded later, whole."""
    if isinstance(error, DataError | IntegrityError | ProgrammingError):
        return True
    if isinstance(error, DBAPIError):
        return False
    # Raised while binding parameters, before the database saw anything.
    return isinstance(error, StatementError | ValueError | TypeError)


def why_refused(error: BaseException) -> str:
    """One readable line: the driver's message without the SQL and the parameters
    (which hold the whole page, and the very text that was refused)."""
    cause = error.orig if isinstance(error, StatementError) and error.orig else error
    first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return clean_line(f"{type(cause).__name__}: {first}", limit=MAX_REASON)
