"""HTTP side of the Zendesk sandbox: routing, authentication, rate limits and injected faults.

Written from Zendesk's API documentation (Incremental Exports, Tickets, Ticket Comments,
Ticket Metrics, Job Statuses, Users, Groups, OAuth grant-type tokens, Rate limits), not from
our connector.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import queue
import re
import secrets
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandboxes.http import LOST_ANSWERS, SandboxLifecycle, SandboxServer, lose_answer
from sandboxes.zendesk.limits import (
    AUTH_FAILED,
    ENTERPRISE_LIMIT,
    EXPORT_LIMIT,
    EXPORT_LIMITED,
    FAULT_BODIES,
    FORBIDDEN,
    INVALID_CLIENT,
    INVALID_TOKEN,
    NOMINAL_LIMIT,
    TICKETS_INDEX_LIMIT,
    TICKETS_UPDATE_LIMIT,
    Faults,
    Limits,
    retry_after_value,
)
from sandboxes.zendesk.records import AGENT_BASE, AGENTS, GROUP_BASE, GROUPS
from sandboxes.zendesk.routes import EXPORT_PATH, Routes, comments_json, ticket_json
from sandboxes.zendesk.seed import Seed
from sandboxes.zendesk.state import ApiError, Json, Store

log = logging.getLogger(__name__)
JOB_WORKERS = 4  # Zendesk runs background jobs side by side, not one account-wide queue


class ZendeskSandbox(SandboxLifecycle):
    """A local Zendesk Support API subset on 127.0.0.1, seeded with deterministic tickets."""

    client_id, client_secret = "care-sandbox", "sandbox-secret"
    admin_email, api_token = "admin@care-sandbox.example", "sandbox-api-token"

    def __init__(
        self,
        tickets: int = 200,
        seed: int = 7,
        now: datetime | None = None,
        latency_ms: int = 0,
        rate_limit_per_minute: int | None = None,
        faults: Iterable[str] | None = None,
        token_ttl_seconds: int = 3600,
        port: int = 0,
        scenarios: bool = True,
        *,
        job_delay_ms: int = 50,
        export_rate_limit_per_minute: int | None = None,
        real_limits: bool = False,
        minute_s: float = 60.0,
        agents: int = AGENTS,
    ) -> None:
        """`real_limits`: enforce Zendesk's documented per-minute limits (Enterprise plan,
        see limits.py), each in its own window of `minute_s` seconds (tests shrink it).
        `agents`: the account's agents besides the admin; the seeded tickets go to the
        first 12 of them, the others (a team larger than the tickets show) hold none."""
        if now is None:
            anchor, self._offset = int(time.time()) // 60 * 60, 0.0
        else:
            anchor = int((now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp())
            self._offset = anchor - time.time()
        self.now = datetime.fromtimestamp(anchor, UTC)
        self.store = Store(Seed(tickets, seed, anchor, scenarios, agents), self.clock)
        self.latency_ms, self.job_delay_ms = latency_ms, job_delay_ms
        self.token_ttl = token_ttl_seconds
        self.real_limits = real_limits
        account = rate_limit_per_minute or (ENTERPRISE_LIMIT if real_limits else NOMINAL_LIMIT)
        export = export_rate_limit_per_minute or (EXPORT_LIMIT if real_limits else account)
        updates = TICKETS_UPDATE_LIMIT if real_limits else None
        index = TICKETS_INDEX_LIMIT if real_limits else None
        self.limits = Limits(account, export, updates, minute_s, index)
        self.spending = self.limits.spending  # (sandbox time, 1) of each request let through
        self._tokens: dict[str, tuple[float, str]] = {}
        self._faults = Faults()
        for fault in faults or ():
            self._faults.add(fault)
        self._log: list[tuple[str, str]] = []
        self.ai_agent_tickets: set[int] = set()  # handled by Zendesk AI agents (see routes)
        self._jobs: queue.Queue[str | None] = queue.Queue()
        self._port = port
        self._httpd: SandboxServer | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> ZendeskSandbox:
        httpd = self._httpd = SandboxServer(self, self._port, "Zendesk", FAULT_BODIES["500"][1])
        self._threads = [
            threading.Thread(
                target=httpd.serve_forever, args=(0.05,), name="zendesk-sandbox", daemon=True
            ),
            *(
                threading.Thread(target=self._work, name=f"zendesk-sandbox-jobs-{n}", daemon=True)
                for n in range(JOB_WORKERS)
            ),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            for _ in range(JOB_WORKERS):
                self._jobs.put(None)
            for thread in self._threads:
                thread.join(timeout=5)
            self._httpd = None

    # -- test helpers -------------------------------------------------------------------
    def ticket(self, ticket_id: int) -> Json:
        """The ticket as the API returns it now."""
        rec = self.store.rec(ticket_id)
        if rec is None:
            raise KeyError(ticket_id)
        return ticket_json(rec, self.url)

    def created_tickets(self) -> list[int]:
        """The ids of the tickets created through `POST /api/v2/tickets`, in order."""
        with self.store.lock:
            return list(self.store.created)

    def audits(self, ticket_id: int) -> int:
        """How many updates (audits) the ticket has had here, from anyone."""
        return self.store.audits[ticket_id]

    def comments(self, ticket_id: int) -> list[Json]:
        """All comments of a ticket, oldest first, including notes written through the API."""
        comments = comments_json(self.store, ticket_id)
        if comments is None:
            raise KeyError(ticket_id)
        return comments

    def note_texts(self, ticket_id: int) -> list[str]:
        """The text of every comment on the ticket, oldest first (what `care demo` checks)."""
        return [comment["body"] for comment in self.comments(ticket_id)]

    def touch(self, ticket_id: int, **fields: Any) -> Json:
        """Simulate a change made in Zendesk (bumps updated_at and generated_timestamp).

        Ticket fields (status, priority, tags, group_id, assignee_id, ...) and/or
        `requester_message="..."` (public requester comment; pending/solved -> open) and
        `agent_reply="..."` (public reply by the assignee). No arguments: a system update,
        which moves only generated_timestamp.
        """
        return ticket_json(self.store.touch(ticket_id, **fields), self.url)

    def move(self, ticket_id: int, *, group: bool = False, agent: bool = False) -> Json:
        """An agent moves the ticket to the next group and/or hands it to the next agent
        (a scenario's history, see sandboxes/scenarios.py)."""
        current = self.ticket(ticket_id)
        fields: dict[str, int] = {}
        if group:
            fields["group_id"] = (
                GROUP_BASE + ((current["group_id"] or GROUP_BASE) - GROUP_BASE + 1) % GROUPS
            )
        if agent:
            fields["assignee_id"] = (
                AGENT_BASE + ((current["assignee_id"] or AGENT_BASE) - AGENT_BASE + 1) % AGENTS
            )
        return self.touch(ticket_id, **fields)

    def inject(self, fault: str) -> None:
        self._faults.add(fault)

    def rename_user(self, user_id: int, name: str) -> None:
        """Someone edits a user's name in Zendesk: served as given (raw, hostile or not)
        by List Users, Show User and the users sideloads from now on."""
        self.store.rename_user(user_id, name)

    def tamper(self, ticket_id: int, **parts: Any) -> None:
        """Serve this ticket with hostile or broken raw JSON until it next changes
        (`touch`): parts `ticket`, `requester`, `metric_set`; see sandboxes/hostile.py."""
        if self.store.rec(ticket_id) is None:
            raise KeyError(ticket_id)
        self.store.tampering.add(ticket_id, parts)

    def expire_tokens(self) -> None:
        self._tokens = {token: (0.0, scope) for token, (_, scope) in self._tokens.items()}

    @property
    def requests_log(self) -> list[tuple[str, str]]:
        return list(self._log)

    def reset_log(self) -> None:
        self._log.clear()

    def take_malformed(self, ticket_ids: set[int]) -> dict[int, str]:
        return self._faults.take_malformed(ticket_ids)

    def enqueue_job(self, job_id: str) -> None:
        self._jobs.put(job_id)

    # -- request pipeline ---------------------------------------------------------------
    def _work(self) -> None:
        delay = self.job_delay_ms / 2000
        while (job_id := self._jobs.get()) is not None:
            time.sleep(delay)
            self.store.start_job(job_id)
            time.sleep(delay)
            self.store.run_job(job_id)

    def handle(
        self, method: str, target: str, headers: Any, body: bytes
    ) -> tuple[int, Json | None, dict[str, str]]:
        """One request -> (status, JSON body or None to drop the connection, headers)."""
        split = urlsplit(target)
        path = re.sub(r"\.json$", "", split.path)
        lists = parse_qs(split.query, keep_blank_values=True)
        query = {k: v[-1] for k, v in lists.items()}
        self._log.append((method, split.path))
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        fault = self._faults.take_request_fault(split.path, split.query)
        if fault == "conn_reset":
            return 0, None, {}
        if fault in LOST_ANSWERS:  # the request does its work, then its answer is lost
            status, payload, _ = self._answer(method, path, query, headers, body, lists)
            return lose_answer(fault, status, payload)
        if fault is not None:
            fault, _, wait = fault.partition(":")  # '429:3600', '503:date+5'
            status, fault_body = FAULT_BODIES[fault]
            if status == 429 and path == EXPORT_PATH:
                fault_body = EXPORT_LIMITED
            retry = {"Retry-After": retry_after_value(wait, self.clock())} if wait else {}
            if status in (429, 503) and not wait:
                retry = {"Retry-After": "1"}
            return status, fault_body, {**self._peek(), **retry}
        return self._answer(method, path, query, headers, body, lists)

    def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Any,
        body: bytes,
        lists: dict[str, list[str]],
    ) -> tuple[int, Json | None, dict[str, str]]:
        try:
            if path == "/oauth/tokens" and method == "POST":
                return 201, self._issue_token(headers, body), {}
            scope = self._authenticate(headers.get("Authorization", ""))
            if not _grants(scope.split(), method):
                raise ApiError(403, FORBIDDEN)
            limits = self._spend(method, path)
            try:
                status, payload, extra = Routes(self, query, body, lists).dispatch(method, path)
            except ApiError as e:
                raise ApiError(e.status, e.body, {**limits, **e.headers}) from None
            return status, payload, {**limits, **extra}
        except ApiError as e:
            return e.status, e.body, {**self._peek(), **e.headers}

    def _authenticate(self, header: str) -> str:
        kind, _, value = header.partition(" ")
        if kind.lower() == "bearer":
            expires, scope = self._tokens.get(value.strip(), (0.0, ""))
            if expires <= self.clock():
                raise ApiError(
                    401,
                    INVALID_TOKEN,
                    {"WWW-Authenticate": 'Bearer realm="Zendesk", error="invalid_token"'},
                )
            return scope
        if kind.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(value.strip()).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user = secret = ""
            if (user, secret) == (f"{self.admin_email}/token", self.api_token):
                return "read write"
        raise ApiError(401, AUTH_FAILED)

    def _issue_token(self, headers: Any, body: bytes) -> Json:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()}
        if not isinstance(data, dict):
            data = {}
        if data.get("grant_type") != "client_credentials":
            raise ApiError(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": (
                        "The authorization grant type is not supported by the authorization server."
                    ),
                },
            )
        client = (data.get("client_id"), data.get("client_secret"))
        kind, _, value = headers.get("Authorization", "").partition(" ")
        if client == (None, None) and kind.lower() == "basic":  # RFC 6749 client_secret_basic
            with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                client = tuple(base64.b64decode(value.strip()).decode().split(":", 1))
        if client != (self.client_id, self.client_secret):
            raise ApiError(401, INVALID_CLIENT)
        scope = data.get("scope")
        if not isinstance(scope, str) or not scope.strip():
            raise ApiError(
                400,
                {
                    "error": "invalid_scope",
                    "error_description": ("The requested scope is invalid, unknown, or malformed."),
                },
            )
        expires_in = data.get("expires_in")
        # "Must be more than 300 seconds (5 minutes) and less than 172,800 seconds (2 days)":
        # https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/
        if expires_in is not None and not (
            isinstance(expires_in, int) and 300 < expires_in < 172_800
        ):
            raise ApiError(
                400,
                {
                    "error": "invalid_request",
                    "error_description": (
                        "expires_in must be an integer between 300 and 172800 seconds"
                    ),
                },
            )
        lifetime = min(expires_in or self.token_ttl, self.token_ttl)
        token = secrets.token_hex(32)
        self._tokens[token] = (self.clock() + lifetime, scope)
        return {
            "access_token": token,
            "token_type": "bearer",
            "scope": scope,
            "expires_in": lifetime,
        }

    def _peek(self) -> dict[str, str]:
        """The account budget, for answers that did not spend any (auth errors, faults)."""
        return self.limits.peek(self.clock())

    def _spend(self, method: str, path: str) -> dict[str, str]:
        return self.limits.spend(method, path, self.clock())

    @property
    def throttled(self) -> int:
        """429s answered for the account budget."""
        return self.limits.refused["account"]


def _grants(scopes: list[str], method: str) -> bool:
    """Whether a token's scopes allow the request. "read" gives GET endpoints, "write"
    POST/PUT/DELETE ones, `<resource>:read|write` the same per resource; a token is
    issued whatever the scope, and a call it does not cover answers 403 Forbidden:
    https://developer.zendesk.com/api-reference/ticketing/oauth/oauth_tokens/#scopes"""
    needed = "read" if method == "GET" else "write"
    return any(scope == needed or scope.endswith(f":{needed}") for scope in scopes)


def serve_forever(
    port: int,
    tickets: int,
    seed: int,
    latency_ms: int,
    rate_limit_per_minute: int | None,
    faults: Iterable[str] = (),
    *,
    real_limits: bool = False,
) -> None:
    """Run a sandbox in the foreground until Ctrl-C (wired to `care sandbox zendesk`).
    With `real_limits`, the last line printed counts the requests each limit let
    through and refused, as JSON (bench/poll_backfill.py reads it)."""
    sandbox = ZendeskSandbox(
        tickets=tickets,
        seed=seed,
        latency_ms=latency_ms,
        rate_limit_per_minute=rate_limit_per_minute,
        faults=faults,
        port=port,
        real_limits=real_limits,
    ).start()
    limits = " · Enterprise plan's rate limits" if real_limits else ""
    try:  # a Ctrl-C right after start still stops it and prints the counts
        print(
            f"Zendesk sandbox on {sandbox.url} · OAuth client {sandbox.client_id} / "
            f"{sandbox.client_secret} · API token {sandbox.admin_email}/token:{sandbox.api_token}"
            f"{limits}",
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        if real_limits:
            print(json.dumps(sandbox.limits.counts()), flush=True)
