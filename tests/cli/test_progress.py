"""Live progress of a long poll in a terminal."""

from __future__ import annotations

import io

from rich.console import Console

from care.app.progress import TerminalReporter


def test_progress_counts_pages_tickets_rate_and_rate_limit_waits_from_the_first_page():
    now = [100.0]
    console = Console(file=io.StringIO(), force_terminal=True)
    reporter = TerminalReporter("zendesk", console=console, clock=lambda: now[0])
    now[0] = 110.0  # Prefect took ten seconds to start: not counted
    reporter.begin()
    now[0] = 112.0
    reporter.page(tickets=1000, actions=40, rate_limit_waits=0)
    reporter.page(tickets=1000, actions=2, rate_limit_waits=6)
    reporter.close()
    assert reporter.status_line() == (
        "[bold]zendesk[/]: page 2 · 2,000 tickets · 1,000 tickets/s · 42 new actions · "
        "rate-limit waits 6 s"
    )
