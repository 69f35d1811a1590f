"""Sandbox rate-limit budgets, injected faults and the error bodies Zendesk answers with."""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from email.utils import formatdate

from sandboxes.http import LOST_ANSWERS
from sandboxes.zendesk.state import ApiError

NOMINAL_LIMIT = 100_000  # requests/minute reported (and enforced) when no limit is configured

# Real-limits mode (`ZendeskSandbox(real_limits=True)`): Zendesk's documented per-minute
# limits, each counted in its own clock-minute window.
# Support and Help Center API requests per minute, Suite/Support Enterprise plan
# (Team 200, Growth/Professional 400, Enterprise 700, Enterprise Plus 2500), reported in
# `X-Rate-Limit` / `X-Rate-Limit-Remaining`, 429 + Retry-After (seconds) past it:
# https://developer.zendesk.com/api-reference/introduction/rate-limits/
ENTERPRISE_LIMIT = 700
# "You can make up to 10 requests per minute to these endpoints" (30 with High Volume):
# https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/
EXPORT_LIMIT = 10
# Update Ticket: "its own rate limit that is different from the account wide rate
# limit", Default plan, scope Account, interval 1 minute: 100 (sandbox/trial 20, High
# Volume 300); header `Zendesk-RateLimit-tickets-update: total=…; remaining=…; resets=…`
# ("Resets": seconds before the limit refreshes):
# https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket
# The page gives Update Many Tickets no limit of its own (only the job limit); that it
# spends the same allocation is our assumption, not documented.
TICKETS_UPDATE_LIMIT = 100
TICKETS_UPDATE_HEADER = "Zendesk-RateLimit-tickets-update"
# List Tickets (GET /api/v2/tickets, with or without external_id): "its own rate limit that
# is different from the account wide rate limit", Standard, scope Account, interval 1
# minute: 100 (300 with High Volume); header `Zendesk-RateLimit-tickets-index`:
# https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
# Create Ticket documents no limit of its own: it spends the account budget only.
TICKETS_INDEX_LIMIT = 100
TICKETS_INDEX_HEADER = "Zendesk-RateLimit-tickets-index"
TICKETS_INDEX = "/api/v2/tickets"
EXPORT_PREFIX = "/api/v2/incremental/"  # every incremental export shares the export limit
TICKET_UPDATE = re.compile(r"/api/v2/tickets/(\d+|update_many)")  # PUT: tickets-update limit
AUTH_FAILED = {"error": "Couldn't authenticate you"}
INVALID_TOKEN = {
    "error": "invalid_token",
    "error_description": (
        "The access token provided is expired, revoked, malformed or invalid for other reasons."
    ),
}
INVALID_CLIENT = {
    "error": "invalid_client",
    "error_description": (
        "Client authentication failed due to unknown client, no client authentication included, "
        "or unsupported authentication method."
    ),
}
FORBIDDEN = {
    "error": "Forbidden",
    "description": (
        "You do not have access to this page. Please contact the account owner of this help desk "
        "for further help."
    ),
}
LIMITED = {
    "error": "APIRateLimitExceeded",
    "description": "Number of allowed API requests per minute exceeded",
}
EXPORT_LIMITED = {
    "error": "APIRateLimitExceeded",
    "description": ("Number of allowed incremental export API requests per minute exceeded"),
}
FAULT_BODIES = {
    "429": (429, LIMITED),
    "401": (401, AUTH_FAILED),
    "403": (403, FORBIDDEN),
    "500": (500, {"error": "InternalError", "description": "Something went wrong"}),
    "503": (503, {"error": "ServiceUnavailable", "description": "Service temporarily unavailable"}),
}


class Budget:
    """Requests per clock minute (Zendesk counts per minute and tells when the window resets).

    `minute_s` shrinks the minute for tests; Retry-After stays in whole seconds (>= 1)."""

    def __init__(self, limit: int, minute_s: float = 60.0) -> None:
        self.limit, self.minute_s, self.window, self.used = limit, minute_s, -1, 0

    def state(self, now: float) -> tuple[int, int]:
        """(requests left in this window, seconds until it resets)."""
        window = int(now // self.minute_s)
        if window != self.window:
            self.window, self.used = window, 0
        reset = (window + 1) * self.minute_s - now
        return max(self.limit - self.used, 0), max(1, math.ceil(reset))


class Limits:
    """The account's per-minute budgets: all requests, the incremental exports and (in
    real-limits mode) ticket updates. A request spends one from each budget it counts
    against, or gets the 429 of the first one used up and spends nothing."""

    def __init__(
        self,
        account: int,
        export: int,
        updates: int | None,
        minute_s: float,
        index: int | None = None,
    ) -> None:
        self.account, self.export = Budget(account, minute_s), Budget(export, minute_s)
        self.updates = Budget(updates, minute_s) if updates else None
        self.index = Budget(index, minute_s) if index else None
        self._lock = threading.Lock()
        self.spending: list[tuple[float, int]] = []  # (sandbox time, 1) of each request
        self.spent: Counter[str] = Counter()  # let through: "all", "export", "update", "index"
        self.refused: Counter[str] = Counter()  # 429s by limit: ... and "index"

    def counts(self) -> dict[str, object]:
        """What each limit let through and refused, and when the first and last
        requests let through were (sandbox time), for bench/poll_backfill.py."""
        with self._lock:
            times = [at for at, _ in self.spending]
            return {
                "spent": dict(self.spent),
                "refused": dict(self.refused),
                "first_at": min(times, default=None),
                "last_at": max(times, default=None),
            }

    def peek(self, now: float) -> dict[str, str]:
        """The account budget, for answers that did not spend any (auth errors, faults)."""
        with self._lock:
            remaining, _ = self.account.state(now)
        return {"X-Rate-Limit": str(self.account.limit), "X-Rate-Limit-Remaining": str(remaining)}

    def spend(self, method: str, path: str, now: float) -> dict[str, str]:
        """The rate-limit headers of a request let through; ApiError(429) if refused."""
        export = path.startswith(EXPORT_PREFIX)
        update = bool(method == "PUT" and TICKET_UPDATE.fullmatch(path))
        index = method == "GET" and path == TICKETS_INDEX
        with self._lock:
            remaining, reset = self.account.state(now)
            export_left, export_reset = self.export.state(now)
            headers = {"X-Rate-Limit": str(self.account.limit)}
            if export:
                headers.update(
                    {
                        "ratelimit-limit": str(self.export.limit),
                        "ratelimit-remaining": str(max(export_left - 1, 0)),
                        "ratelimit-reset": str(export_reset),
                    }
                )
            if export and export_left <= 0:  # the export's own limit, with its own message
                self.refused["export"] += 1
                headers.update(
                    {"X-Rate-Limit-Remaining": str(remaining), "Retry-After": str(export_reset)}
                )
                raise ApiError(429, EXPORT_LIMITED, headers)
            if update and self.updates is not None:
                headers.update(self._update_header(self.updates, now, remaining))
            if index and self.index is not None:
                headers.update(
                    self._update_header(self.index, now, remaining, TICKETS_INDEX_HEADER, "index")
                )
            if remaining <= 0:
                self.refused["account"] += 1
                headers.update({"X-Rate-Limit-Remaining": "0", "Retry-After": str(reset)})
                raise ApiError(429, LIMITED, headers)
            self.account.used += 1
            self.export.used += int(export)
            if update and self.updates is not None:
                self.updates.used += 1
            if index and self.index is not None:
                self.index.used += 1
            self.spending.append((now, 1))
            self.spent.update(
                {"all": 1, "export": int(export), "update": int(update), "index": int(index)}
            )
            headers["X-Rate-Limit-Remaining"] = str(remaining - 1)
            return headers

    def _update_header(
        self,
        budget: Budget,
        now: float,
        account_left: int,
        name: str = TICKETS_UPDATE_HEADER,
        limit: str = "update",
    ) -> dict[str, str]:
        """The tickets-update (or tickets-index) header of a request; its 429 once used up.
        Zendesk documents the header, not this 429's body: the account limit's body is a guess."""
        left, reset = budget.state(now)
        spent = 1 if left > 0 and account_left > 0 else 0
        header = {name: f"total={budget.limit}; remaining={max(left - spent, 0)}; resets={reset}"}
        if left <= 0:
            self.refused[limit] += 1
            raise ApiError(
                429,
                LIMITED,
                {
                    "X-Rate-Limit": str(self.account.limit),
                    "X-Rate-Limit-Remaining": str(account_left),
                    "Retry-After": str(reset),
                    **header,
                },
            )
        return header


class Faults:
    """FIFO of injected faults: '429', '500', '503', '401', '403', 'conn_reset', 'malformed:<id>'
    or 'malformed:<id>:missing_id', and the answers lost after the request did its work
    ('lost_reset', 'lost_cut', 'lost_502', 'lost_garbled'), and 429/503 with a chosen
    Retry-After ('429:3600' in seconds, '503:date+5' as an HTTP-date).
    '<fault>@<path prefix>' limits a fault to those paths, and a trailing '$' to that path
    without a query (an update_many batch of notes, not a bulk `?ids=` call)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[tuple[str, str]] = []

    def add(self, fault: str) -> None:
        kind, _, prefix = fault.partition("@")
        if kind not in (*FAULT_BODIES, "conn_reset", *LOST_ANSWERS) and not re.fullmatch(
            r"malformed:\d+(:missing_id)?|(429|503):(date\+)?\d+", kind
        ):
            raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._queue.append((kind, prefix))

    def take_request_fault(self, path: str, query: str = "") -> str | None:
        with self._lock:
            for i, (kind, prefix) in enumerate(self._queue):
                if not kind.startswith("malformed:") and _aimed(prefix, path, query):
                    return self._queue.pop(i)[0]
        return None

    def take_malformed(self, ids: set[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        with self._lock:
            for kind, prefix in list(self._queue):
                parts = kind.split(":")
                if parts[0] == "malformed" and int(parts[1]) in ids and int(parts[1]) not in found:
                    found[int(parts[1])] = parts[2] if len(parts) > 2 else "bad_date"
                    self._queue.remove((kind, prefix))
        return found


def _aimed(prefix: str, path: str, query: str) -> bool:
    if prefix.endswith("$"):
        return not query and path.removesuffix(".json") == prefix[:-1]
    return path.startswith(prefix)


def retry_after_value(wait: str, now: float) -> str:
    """Retry-After as seconds ('3600') or as an HTTP-date ('date+5': 5 s from now); both
    forms are HTTP's (RFC 9110 §10.2.3), and Zendesk documents the header on 429 and 503:
    https://developer.zendesk.com/api-reference/introduction/rate-limits/"""
    if wait.startswith("date+"):
        return formatdate(now + int(wait.removeprefix("date+")), usegmt=True)
    return wait
