"""The plumbing every part of the store shares: the engine and its transactions."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from care.store.database import open_engine, read_connection


class StoreBase:
    def __init__(self, engine: Engine) -> None:
        """Wrap an engine whose schema is already at head; `Store.open` is the usual way in."""
        self._engine = engine

    @classmethod
    def open(cls, url: str) -> Self:
        """Connect and migrate to head. `url` is any SQLAlchemy SQLite or PostgreSQL URL."""
        return cls(open_engine(url))

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url_for_display(self) -> str:
        """The database URL with any password masked, fit for logs and `care status`."""
        return self._engine.url.render_as_string(hide_password=True)

    # -- transactions -----------------------------------------------------

    def _write(self) -> AbstractContextManager[Connection]:
        return self._engine.begin()

    def _read(self) -> Connection:
        return read_connection(self._engine)


def now_utc() -> datetime:
    return datetime.now(UTC)
