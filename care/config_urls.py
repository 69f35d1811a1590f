"""URLs in the settings, checked at load: helpdesk base URLs and the database URL.

A message names the variable or key (`name`) and says what is expected, never the value:
a URL may carry a password, and one that is only wrong is still the operator's to read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# What care/store/database.py can open: SQLite through the standard library's sqlite3,
# PostgreSQL through psycopg 3 (the driver we ship; a bare postgres(ql):// means it).
# Async drivers (asyncpg, aiosqlite), psycopg2 and other databases are not installed
# or not supported, and would fail only when the first flow opens the store.
DATABASE_DRIVERS = frozenset(
    {"sqlite", "sqlite+pysqlite", "postgres", "postgresql", "postgresql+psycopg"}
)
DATABASE_URLS = "sqlite:///path/to/care.db, postgresql:// or postgresql+psycopg://"


class UrlError(ValueError):
    """A URL setting is wrong; the message names the setting, never its value."""


def helpdesk_base_url(url: str, name: str, example: str) -> str:
    """`url` without its trailing slash, if it is a base URL like `example`.

    A path is refused here because the connectors append /api/v2/...: a base URL that
    already holds one turns every request into a 404, later blamed on the credentials.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise UrlError(f"{name} is not a URL: set the base URL only, e.g. {example}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlError(f"{name} must start with https://, e.g. {example}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise UrlError(
            f"{name} must be the base URL only, e.g. {example}, without a path "
            "(CARE adds /api/v2/... itself)"
        )
    if "@" in parts.netloc:
        raise UrlError(
            f"{name} must be the base URL only, e.g. {example}, without a user or password "
            "(credentials have variables of their own)"
        )
    return url.rstrip("/")


def check_database_url(url: str, name: str) -> None:
    """Refuse a URL the store cannot open, before a flow finds out."""
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        raise UrlError(f"{name} is not a database URL: use {DATABASE_URLS}") from None
    if driver not in DATABASE_DRIVERS:
        raise UrlError(f"{name} uses {driver}://, which CARE cannot use: use {DATABASE_URLS}")
