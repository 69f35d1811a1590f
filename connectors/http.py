"""The one choke point for every helpdesk call: auth, retries, rate limits, error types.

Each connector builds one `HelpdeskHttp` over its base URL and credentials; the
vendor's error bodies (`{"error", "description"}`, `{"description", "errors": [...]}`,
`{"code", "message"}`) are shortened into the typed errors of `connectors.errors`.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError

from connectors.base import RequestStats
from connectors.budget import ApiBudget, Unlimited
from connectors.errors import (
    AuthError,
    ConnectionFailed,
    MalformedAnswer,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    RequestRejected,
    ServerError,
    Transient,
    Unreachable,
)

log = logging.getLogger("care.http")

MAX_ATTEMPTS = 6
MAX_BACKOFF_S = 30.0
DEFAULT_RETRY_AFTER_S = 10.0
# A worker waits this long at most on one Retry-After, and this long in all for one
# request: a helpdesk asking for more (an hour, after a burst) ends the request as
# RateLimited, the run reports it and the next scheduled poll resumes from its cursor.
MAX_RETRY_AFTER_S = 120.0
WAIT_BUDGET_S = 180.0
_ID = re.compile(r"/\d+(?=/|$)")


class Credentials(Protocol):
    describe: str  # which settings these are, for error messages (never the values)

    def header(self) -> str:
        """The Authorization header value for the next request."""
        ...

    def renew(self) -> bool:
        """Called after a 401: True if a fresh credential was obtained and a retry makes sense."""
        ...


class HelpdeskHttp:
    def __init__(
        self,
        vendor: str,
        base_url: str,
        credentials: Credentials,
        session: requests.Session,
        stats: RequestStats,
        *,
        timeout: float = 60.0,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        pace: Callable[[Mapping[str, str]], float] | None = None,
        budget: ApiBudget | None = None,
        url_setting: str | None = None,
    ) -> None:
        self.vendor = vendor
        self.url_setting = url_setting or f"CARE_{vendor.upper()}_URL"
        self._answered = False  # has anything ever answered at base_url?
        self._authorized = False  # has a request with these credentials ever succeeded?
        self.budget = budget or Unlimited()  # shared with other processes, see budget.py
        self._pace = pace  # seconds to wait after a response, from its rate-limit headers
        self.base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._session = session
        self._stats = stats
        self._timeout = timeout
        self.max_attempts = max_attempts
        self._sleep = sleep
        self._stats_lock = threading.Lock()

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        kind: str = "reads",
        cost: int = 1,
    ) -> dict:
        return self.request("GET", path, params=params, kind=kind, cost=cost)

    def put(
        self,
        path: str,
        body: dict,
        params: dict[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> dict:
        return self.request(
            "PUT", path, params=params, json=body, kind="writes", idempotent=idempotent
        )

    def post(self, path: str, body: dict, *, idempotent: bool = False) -> dict:
        return self.request("POST", path, json=body, kind="writes", idempotent=idempotent)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict | None = None,
        kind: str = "reads",
        cost: int = 1,
        idempotent: bool = True,
    ) -> dict:
        """Send one logical request, retrying transient failures; returns the JSON body.

        `cost`: what the vendor charges against the account's budget (Freshdesk
        charges credits per include). `idempotent=False` (a note, a comment, a new
        ticket): a failure after which the helpdesk may have acted (no answer, a cut or
        malformed one, a 5xx) raises `OutcomeUnknown` at once instead of sending it
        again; only failures that prove it was not acted on (429, no connection) retry."""
        renewed = False
        attempt, waited = 1, 0.0
        while True:
            try:
                return self._send_once(method, path, params, json, kind, cost)
            except AuthError as exc:
                if exc.status != 401 or renewed or not self._credentials.renew():
                    raise
                renewed = True  # an expired token: one more try with a new one, on top
            except Transient as exc:
                if exc.maybe_applied and not idempotent:
                    raise OutcomeUnknown(
                        f"{method} {path}: {exc}; it may have taken effect",
                        timed_out=bool(getattr(exc, "timed_out", False)),
                    ) from exc
                if attempt >= self.max_attempts:
                    exc.exhausted = True
                    raise
                if isinstance(exc, RateLimited):
                    self._stats.rate_limited += 1
                delay = self._delay(exc, attempt)
                if delay > MAX_RETRY_AFTER_S or waited + delay > WAIT_BUDGET_S:
                    limited = RateLimited(
                        f"{self.vendor}: {exc}; it asks to wait {delay:.0f} s more, beyond "
                        f"the {WAIT_BUDGET_S:.0f} s a request waits: the next run resumes",
                        retry_after=delay,
                    )
                    limited.exhausted = True
                    raise limited from exc
                attempt += 1
                waited += delay
                self._stats.retries += 1
                if exc.retry_after is not None:
                    self._stats.rate_limit_wait_s += delay
                log.warning("%s %s: %s; retrying in %.1f s", method, path, exc, delay)
                self._sleep(delay)

    def _delay(self, exc: Transient, attempt: int) -> float:
        """Seconds before the next attempt: what the helpdesk asked for (429, or a 503
        with Retry-After), else exponential backoff with jitter."""
        if exc.retry_after is not None:
            return exc.retry_after
        return min(MAX_BACKOFF_S, 0.25 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    def _send_once(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        json: dict | None,
        kind: str,
        cost: int,
    ) -> dict:
        waited = self.budget.take(cost)
        if waited:
            with self._stats_lock:
                self._stats.rate_limit_wait_s += waited
        url = path if path.startswith("http") else self.base_url + path
        headers = {"Accept": "application/json"}
        if authorization := self._credentials.header():
            headers["Authorization"] = authorization
        with self._stats_lock:  # pages are read ahead on another thread
            setattr(self._stats, kind, getattr(self._stats, kind) + 1)
            self._stats.by_endpoint[f"{method} {_ID.sub('/{id}', path.split('?')[0])}"] += 1
        try:
            response = self._session.request(
                method, url, params=params, json=json, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            refused = None if self._answered else wrong_address(exc)
            if refused:
                raise Unreachable(
                    f"{self.vendor}: nothing answers at the address in {self.url_setting} "
                    f"({refused}): check {self.url_setting}"
                ) from None
            raise ConnectionFailed(
                f"no answer from {self.base_url}: {type(exc).__name__}",
                sent=_reached(exc),
                timed_out=isinstance(exc, requests.ReadTimeout),
            ) from None
        self._answered = True
        if response.status_code < 300:
            self._authorized = True
            wait = self._pace(response.headers) if self._pace else 0.0
            if wait > 0:  # slow down before the budget runs out, rather than after a 429
                with self._stats_lock:
                    self._stats.rate_limit_wait_s += wait
                self._sleep(wait)
            if not response.content:
                return {}
            try:
                return response.json()
            except ValueError:  # cut short, or a proxy's page: retried, or looked into
                raise MalformedAnswer(
                    f"{method} {path} → {response.status_code} with a body that is not "
                    f"JSON ({len(response.content)} bytes)"
                ) from None
        raise self._error(response, method, path)

    def _error(self, response: requests.Response, method: str, path: str) -> Exception:
        status = response.status_code
        body = _body(response)
        what = f"{method} {path} → {status} {_describe(body)}"
        if status == 429:
            return RateLimited(what, retry_after=retry_after(response))
        if status in (401, 403):
            reason = (
                "the account behind it lacks the rights this needs (an admin is required)"
                if status == 403
                else "the credential was refused"
            )
            hint = getattr(self._credentials, "forbidden_hint", None)
            if status == 403 and hint is not None and not self._authorized:
                return AuthError(f"{self.vendor}: {what}: {hint()}", status, body)
            return AuthError(
                f"{self.vendor}: {what}: {reason}: check {self._credentials.describe}",
                status,
                body,
            )
        if status == 404:
            return NotFound(what)
        if status >= 500:
            error = ServerError(what)
            if "Retry-After" in response.headers:  # a 503 saying when to come back
                error.retry_after = retry_after(response)
            return error
        return RequestRejected(what, status, body)


def make_session(pool_size: int = 8) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = "care-pipelines/0.1"
    return session


def wrong_address(exc: requests.RequestException) -> str | None:
    """Why a connection could not even start, when that points at a wrong URL rather than
    an outage: the host name does not resolve, or nothing listens on that port. Once the
    helpdesk has answered, the same failures are an outage and are retried."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(reason, NameResolutionError):
        return "the host name does not resolve"
    if isinstance(reason, NewConnectionError) and isinstance(
        reason.__cause__ or reason.__context__, ConnectionRefusedError
    ):
        return "connection refused"
    return None


def _reached(exc: requests.RequestException) -> bool:
    """Whether a failed request may have reached the helpdesk: only a connection that was
    never made (refused, unknown host, connect timeout) proves it did not."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError)  # NameResolutionError is one too


def retry_after(response: requests.Response) -> float:
    """Retry-After in seconds: a number of seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RETRY_AFTER_S
    if when.tzinfo is None:  # an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _body(response: requests.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return response.text[:200]


def _describe(body: object) -> str:
    """Vendor error bodies, kept short: Zendesk `{error, description}` (sometimes nested or
    plain text), Freshdesk `{description, errors: [{field, message}]}` or `{code, message}`."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # some endpoints nest {"title", "message"}
            error = error.get("title") or error.get("message")
        parts = [
            str(p)
            for p in (error, body.get("code"), body.get("description"), body.get("message"))
            if p
        ]
        for item in body.get("errors") or ():
            if isinstance(item, dict):
                parts.append(f"{item.get('field')}: {item.get('message')}")
        return ": ".join(parts)
    return str(body).strip()
