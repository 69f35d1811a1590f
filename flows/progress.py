"""Live progress of a long poll, for whoever started it: nothing by default.

The flow reports to whatever reporter the caller installed (the CLI installs
`care.app.progress.TerminalReporter`); the Prefect run log gets page progress
independently.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Protocol


class Reporter(Protocol):
    def begin(self) -> None:
        """The first page is about to be read (Prefect has started)."""
        ...

    def page(self, tickets: int, actions: int, rate_limit_waits: float) -> None:
        """One more page: its tickets and new actions, and the rate-limit waits so far."""
        ...

    def close(self) -> None: ...


class Silent:
    def begin(self) -> None:
        pass

    def page(self, tickets: int, actions: int, rate_limit_waits: float) -> None:
        pass

    def close(self) -> None:
        pass


_current: ContextVar[Reporter | None] = ContextVar("care_progress", default=None)


def reporter() -> Reporter:
    return _current.get() or Silent()


def install(reporter: Reporter):
    """Make `reporter` receive page progress; returns a token for `uninstall`."""
    return _current.set(reporter)


def uninstall(token) -> None:
    _current.reset(token)
