"""How a failing `care` command ends: one readable line that names the fix, never a page of
traceback (`care --debug …` shows those)."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError, SQLAlchemyError

from care.settings.load import ConfigError
from care.settings.urls import redact_url_passwords
from care.store.database import StoreError, error_line
from connectors.errors import HelpdeskError

DEBUG_HINT = "run again with --debug for the details"


def one_line(exc: BaseException) -> str:
    """What went wrong and what to do, in one line, for any exception a command raises;
    a password inside a URL it quotes is masked."""
    return redact_url_passwords(_explained(exc))


def _explained(exc: BaseException) -> str:
    if isinstance(exc, ConfigError | HelpdeskError | StoreError):
        return _first_line(str(exc))
    if isinstance(exc, OperationalError):
        return (
            f"cannot use the database in CARE_DATABASE_URL ({error_line(exc)}): start it, "
            "or check CARE_DATABASE_URL"
        )
    if isinstance(exc, SQLAlchemyError):
        return f"database error: {error_line(exc)}; {DEBUG_HINT}"
    prefect = _prefect_api_problem(exc)
    if prefect:
        return prefect
    return f"{type(exc).__name__}: {_first_line(str(exc))}; {DEBUG_HINT}"


def _prefect_api_problem(exc: BaseException) -> str | None:
    text = str(exc)
    if "ephemeral" in text and ("Timed out" in text or "timed out" in text):
        return (
            "Prefect's temporary server did not start in time (this machine is busy or slow): "
            "try again, or run `prefect server start` and set PREFECT_API_URL"
        )
    name = type(exc).__name__
    if name in {"ConnectError", "ConnectTimeout"} and type(exc).__module__.startswith("httpx"):
        return (
            "cannot reach the Prefect API at PREFECT_API_URL: start the Prefect server, "
            "or check PREFECT_API_URL"
        )
    return None


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


class _NoTracebacks(logging.Filter):
    """Keeps the line of a run's error on the console, without its traceback. The Prefect
    API log handler, on the run loggers themselves, has already sent the whole record to
    the UI before the root's console handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info or record.exc_text:
            record.exc_info, record.exc_text = None, None
        return True


def hide_tracebacks_on_console() -> None:
    """Prefect logs a failing task or flow with its whole traceback (130 to 760 lines);
    a `care` command says what failed in its own last line instead."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, _NoTracebacks) for f in handler.filters):
            handler.addFilter(_NoTracebacks())
