"""The repeat-contact history of one page when a requester is a monitoring system.

Half of a 1,000-ticket page comes from one requester whose tickets over the last
37 days are already in the store (`--history` of them). Prints how long the poll's
`with_requester_history` and the `assist.repeat_contact` rule take for the page, and
how many creation times the page's tickets carry. No helpdesk, no database.

    .venv/bin/python bench/requester_history.py --history 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).parents[1]))

from care.domain.policy import Policy
from care.domain.rules.assist import repeat_contact
from tasks.poll import with_requester_history
from tests.rules.builders import NOW, ticket


class StoredTimes:
    def __init__(self, times: dict[str, list[tuple[str, datetime]]]) -> None:
        self.times = times

    def requester_ticket_times(self, helpdesk, requester_ids, since):
        return {r: [e for e in self.times.get(r, []) if e[1] >= since] for r in requester_ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", type=int, default=20_000, help="the monitor's stored tickets")
    history = parser.parse_args().history
    page = [
        ticket(
            id=str(1_000_000 + i),
            requester={"id": "monitor" if i % 2 else f"r{i}"},
            created_at=NOW - timedelta(minutes=40 * i),
        )
        for i in range(1000)
    ]
    step = timedelta(days=37) / history
    stored = {"monitor": [(str(i), NOW - timedelta(days=37) + i * step) for i in range(history)]}
    policy = Policy()
    ctx = SimpleNamespace(
        policy=policy, store=StoredTimes(stored), helpdesk=SimpleNamespace(name="zendesk")
    )
    started = time.perf_counter()
    tickets = with_requester_history(ctx, page)
    enriched = time.perf_counter()
    fired = sum(bool(repeat_contact(t, policy, NOW)) for t in tickets)
    evaluated = time.perf_counter()
    held = sum(len(t.requester_ticket_times) for t in tickets)
    print(f"monitor's stored tickets      {history:,}")
    print(f"history for the page          {1000 * (enriched - started):,.0f} ms")
    print(f"assist.repeat_contact         {1000 * (evaluated - enriched):,.0f} ms ({fired} fired)")
    print(f"creation times on the tickets {held:,}")


if __name__ == "__main__":
    main()
