"""The live status line of a long poll in a terminal (a `flows.progress.Reporter`)."""

from __future__ import annotations

import time


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
