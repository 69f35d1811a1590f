"""Freshdesk's per-minute API credits by plan, and the sandbox's counting of them."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sandboxes.freshdesk.state import ApiError

NOMINAL_LIMIT = 100_000  # credits/minute reported (and enforced) when no limit is configured
# Guess: Freshdesk documents the 429 status and Retry-After, not the body text.
LIMITED = {"message": "You have exceeded the limit of requests per minute"}


@dataclass(frozen=True)
class Plan:
    """Credits a minute for the whole account, and the most calls a minute each listed
    endpoint may take of them."""

    credits: int
    calls: Mapping[str, int] = field(default_factory=dict)


# "Call limits per minute" by plan, account-wide "irrespective of the number of agents
# you have or IP addresses used", each plan with a "maximum limit per endpoint"; "for
# every trial period the API limit is 50 per minute" (no endpoint maxima given):
# https://support.freshdesk.com/support/solutions/articles/225439
# The article counts the endpoint maxima in calls; whether a call's include credits
# count against them too is not said: the sandbox counts calls.
PLANS = {
    "trial": Plan(50),
    "growth": Plan(
        200, {"ticket_create": 80, "ticket_update": 80, "tickets_list": 20, "contacts_list": 20}
    ),
    "pro": Plan(
        400, {"ticket_create": 160, "ticket_update": 160, "tickets_list": 100, "contacts_list": 100}
    ),
    "enterprise": Plan(
        700, {"ticket_create": 280, "ticket_update": 280, "tickets_list": 200, "contacts_list": 200}
    ),
}
DEFAULT_PLAN = "pro"
# Which calls are which endpoint of the article's table. Bulk update
# (POST /api/v2/tickets/bulk_update) is not named there: it spends only account credits.
# Create an Outbound Email creates a ticket: the sandbox counts it as a ticket create
# (the article does not name it). Each create costs 1 credit (no other cost documented).
ENDPOINTS = (
    ("tickets_list", "GET", re.compile(r"/api/v2/tickets")),
    ("ticket_create", "POST", re.compile(r"/api/v2/tickets(/outbound_email)?")),
    ("ticket_update", "PUT", re.compile(r"/api/v2/tickets/\d+")),
    ("contacts_list", "GET", re.compile(r"/api/v2/contacts")),
)


def endpoint(method: str, path: str) -> str | None:
    """The article's name for this call, if it has its own per-minute maximum."""
    for name, verb, pattern in ENDPOINTS:
        if method == verb and pattern.fullmatch(path):
            return name
    return None


class Credits:
    """The account's credits and the endpoints' calls, per clock minute.

    Headers `X-RateLimit-Total`, `X-RateLimit-Remaining`, `X-RateLimit-Used-CurrentRequest`
    on every answer; past the limit, 429 with Retry-After (seconds):
    https://developers.freshdesk.com/api/#ratelimit
    `minute_s` shrinks the minute for tests; Retry-After stays in whole seconds (>= 1)."""

    def __init__(self, plan: Plan, minute_s: float = 60.0) -> None:
        self.plan, self.limit, self.minute_s = plan, plan.credits, minute_s
        self._window, self._used, self._calls = -1, 0, Counter[str]()
        self._lock = threading.Lock()
        self.spending: list[tuple[float, int]] = []  # (sandbox time, credits) of each request
        self.spent: Counter[str] = Counter()  # calls let through: "all", "tickets_list", ...
        self.refused: Counter[str] = Counter()  # 429s by limit: "account", "tickets_list", ...

    def counts(self) -> dict[str, object]:
        """What each limit let through and refused, the credits spent, and when the
        first and last requests let through were (sandbox time), for bench/poll_backfill.py."""
        with self._lock:
            times = [at for at, _ in self.spending]
            return {
                "spent": dict(self.spent),
                "credits": sum(cost for _, cost in self.spending),
                "refused": dict(self.refused),
                "first_at": min(times, default=None),
                "last_at": max(times, default=None),
            }

    def headers(self, now: float, used: int = 0) -> dict[str, str]:
        """The rate-limit headers of an answer that spent `used` credits."""
        with self._lock:
            self._roll(now)
            return self._headers(used)

    def spend(self, method: str, path: str, cost: int, now: float) -> dict[str, str]:
        """Spend `cost` credits (and one call of the endpoint's own maximum, if it has
        one); the headers to answer with, or ApiError(429) and nothing spent."""
        name = endpoint(method, path)
        with self._lock:
            self._roll(now)
            limit = None
            if self._used + cost > self.limit:
                limit = "account"
            elif name in self.plan.calls and self._calls[name] >= self.plan.calls[name]:
                limit = name
            if limit is not None:
                self.refused[limit] += 1
                retry = max(1, math.ceil((self._window + 1) * self.minute_s - now))
                raise ApiError(429, LIMITED, {**self._headers(0), "Retry-After": str(retry)})
            self._used += cost
            self._calls.update({name: 1} if name else {})
            self.spending.append((now, cost))
            self.spent.update({"all": 1, **({name: 1} if name else {})})
            return self._headers(cost)

    def _roll(self, now: float) -> None:
        window = int(now // self.minute_s)
        if window != self._window:
            self._window, self._used, self._calls = window, 0, Counter()

    def _headers(self, used: int) -> dict[str, str]:
        return {
            "X-RateLimit-Total": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.limit - self._used, 0)),
            "X-RateLimit-Used-CurrentRequest": str(used),
        }
