"""A helpdesk's API budget shared by every process that calls it.

A helpdesk account allows so many requests (Freshdesk: credits) a minute, for
all its clients together. When several Prefect workers poll, dispatch surveys
and write answers back at once, each one pacing itself is not enough: the budget
is a Prefect global concurrency limit used as a rate limit (`rate_limit`), one
per helpdesk, named `care-api-<helpdesk>`, which the Prefect server enforces
across processes.

Slots refill at `slot_decay_per_second`; the limit caps a burst. With a burst of
B slots and a refill of (R - B) / 60 a second, no minute ever sees more than R:
at most B from a full bucket plus what refills in 60 s. Each process takes a few
slots at a time (`prefetch`) so a request costs a round trip to Prefect only now
and then; slots taken and not used lapse, which keeps the account under, never over.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

PREFETCH = 5


class ApiBudget(Protocol):
    def take(self, cost: int = 1) -> float:
        """Block until `cost` requests (credits) may be spent; returns the seconds waited."""
        ...


class Unlimited:
    """No shared budget: a single process paces itself on the vendor's headers."""

    def take(self, cost: int = 1) -> float:
        return 0.0


def limit_name(helpdesk: str) -> str:
    return f"care-api-{helpdesk}"


def bucket(per_minute: int) -> tuple[int, float]:
    """(burst slots, refill per second) that never allow more than `per_minute` a minute."""
    burst = max(PREFETCH * 2, min(per_minute // 10, 50))
    if per_minute <= burst:
        raise ValueError(f"an API budget of {per_minute} a minute is too small (> {burst})")
    return burst, (per_minute - burst) / 60


def ensure_limit(helpdesk: str, per_minute: int) -> str:
    """Create or update the helpdesk's global concurrency limit on the Prefect server."""
    from prefect.client.orchestration import get_client

    burst, refill = bucket(per_minute)
    name = limit_name(helpdesk)
    with get_client(sync_client=True) as client:
        client.upsert_global_concurrency_limit_by_name(name, burst, refill)
    return name


class PrefectRateLimit:
    """Slots of a Prefect global concurrency limit, taken `prefetch` at a time."""

    def __init__(self, name: str, prefetch: int = PREFETCH) -> None:
        self.name, self._prefetch = name, prefetch
        self._left = 0
        self._lock = threading.Lock()  # pages are read ahead on another thread

    def take(self, cost: int = 1) -> float:
        from prefect.concurrency.sync import rate_limit

        with self._lock:
            if self._left >= cost:
                self._left -= cost
                return 0.0
            need = max(self._prefetch, cost - self._left)
            started = time.monotonic()
            rate_limit(self.name, occupy=need, strict=True)
            self._left += need - cost
            return time.monotonic() - started
