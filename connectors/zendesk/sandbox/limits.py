"""Sandbox rate-limit budgets, injected faults and the error bodies Zendesk answers with."""

from __future__ import annotations

import math
import re
import threading
from email.utils import formatdate

from connectors.sandbox_http import LOST_ANSWERS

NOMINAL_LIMIT = 100_000  # requests/minute reported (and enforced) when no limit is configured
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
    """Requests per clock minute (Zendesk counts per minute and tells when the window resets)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.window, self.used = limit, -1, 0

    def state(self, now: float) -> tuple[int, int]:
        window = int(now // 60)
        if window != self.window:
            self.window, self.used = window, 0
        return max(self.limit - self.used, 0), max(1, math.ceil((window + 1) * 60 - now))


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
