"""URLs in the settings, checked at load: helpdesk, webhook and survey base URLs, and the
database URL.

A message names the variable or key (`name`) and says what is expected, never the value:
a URL may carry a password, and one that is only wrong is still the operator's to read.
URLs that carry credentials or answers must be https:// unless the host is loopback (the
sandboxes and tests on this machine): plain http would send them readable to anyone on
the path.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

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
    _https_unless_loopback(parts, name, "the API credentials")
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


def secret_url(url: str, name: str, carries: str) -> str:
    """`url` if it is an absolute https:// URL (http:// only to a loopback host).

    For URLs whose path or query is itself the credential (webhooks): `carries` says what
    plain http would expose, e.g. "the webhook's token".
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise UrlError(f"{name} is not a URL: it must be an https:// URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlError(f"{name} must be an https:// URL")
    _https_unless_loopback(parts, name, carries)
    return url


def public_base_url(url: str, name: str, example: str) -> str:
    """`url` without its trailing slash: https:// (http:// only on loopback), no user or
    password (it is copied into every e-mail), no query or fragment (paths are appended)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018
    except ValueError:
        raise UrlError(f"{name} is not a URL: use e.g. {example}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlError(f"{name} must start with https://, e.g. {example}")
    if "@" in parts.netloc:
        raise UrlError(f"{name} must not hold a user or password: every e-mail shows it")
    if parts.query or parts.fragment:
        raise UrlError(f"{name} must be a base URL, e.g. {example}, without ?query or #fragment")
    _https_unless_loopback(parts, name, "the customers' answers")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: a server on this machine only."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_url_passwords(text: str) -> str:
    """`text` with the password of every `scheme://user:password@host` in it replaced by
    ***, for messages that may quote a URL (a driver's error, a log line)."""
    return _USERINFO.sub(r"\1***@", text)


_USERINFO = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^/\s]*@")


def _https_unless_loopback(parts: SplitResult, name: str, carries: str) -> None:
    if parts.scheme != "https" and not is_loopback(parts.hostname or ""):
        raise UrlError(
            f"{name} must use https:// (http:// is only for a loopback host such as "
            f"127.0.0.1): plain http would send {carries} unencrypted"
        )


def check_database_url(url: str, name: str) -> None:
    """Refuse a URL the store cannot open, before a flow finds out."""
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        raise UrlError(f"{name} is not a database URL: use {DATABASE_URLS}") from None
    if driver not in DATABASE_DRIVERS:
        raise UrlError(f"{name} uses {driver}://, which CARE cannot use: use {DATABASE_URLS}")
