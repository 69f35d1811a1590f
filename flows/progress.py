"""Live progress of a long poll: a rich bar in a terminal, nothing otherwise.

The flow reports to whatever reporter the caller installed (the CLI installs a
terminal one); the Prefect run log gets page progress independently.
"""

from __future__ import annotations

import time
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


class TerminalReporter:
    """Pages, tickets, tickets/s and rate-limit waits, updated after each page."""

    def __init__(self, helpdesk: str, console=None, clock=time.monotonic) -> None:
        from rich.console import Console
        from rich.live import Live

        self._clock = clock
        self._console = console or Console(stderr=True)
        self._live = Live(console=self._console, transient=True, refresh_per_second=4)
        self._live.start()
        self._helpdesk = helpdesk
        self._started = self._clock()
        self._live.update(f"[bold]{helpdesk}[/]: starting…")
        self.pages = self.tickets = self.actions = 0
        self.rate_limit_waits = 0.0

    def begin(self) -> None:
        self._started = self._clock()

    def page(self, tickets: int, actions: int, rate_limit_waits: float) -> None:
        self.pages += 1
        self.tickets += tickets
        self.actions += actions
        self.rate_limit_waits = rate_limit_waits
        self._live.update(self.status_line())

    def status_line(self) -> str:
        elapsed = max(self._clock() - self._started, 1e-6)
        return (
            f"[bold]{self._helpdesk}[/]: page {self.pages} · {self.tickets:,} tickets · "
            f"{self.tickets / elapsed:,.0f} tickets/s · {self.actions:,} new actions · "
            f"rate-limit waits {self.rate_limit_waits:.0f} s"
        )

    def close(self) -> None:
        self._live.stop()


_current: ContextVar[Reporter | None] = ContextVar("care_progress", default=None)


def reporter() -> Reporter:
    return _current.get() or Silent()


def install(reporter: Reporter):
    """Make `reporter` receive page progress; returns a token for `uninstall`."""
    return _current.set(reporter)


def uninstall(token) -> None:
    _current.reset(token)
