"""HTTP side of the Freshdesk sandbox: routing, Basic auth, per-minute credits and faults.

Written from Freshdesk's API v2 documentation (List/View/Update tickets, Notes,
Conversations, Contacts, Bulk update + Jobs, List All Agents, View Me (agents), Groups,
Rate limits), not from our connector.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from sandboxes.freshdesk.limits import (
    DEFAULT_PLAN,
    LIMITED,
    NOMINAL_LIMIT,
    PLANS,
    Credits,
    Plan,
)
from sandboxes.freshdesk.records import AGENTS, GROUPS, Json, agent_json, group_json, iso
from sandboxes.freshdesk.scenarios import COUNT as SCENARIO_COUNT
from sandboxes.freshdesk.seed import Seed
from sandboxes.freshdesk.state import (
    EMAIL_CONFIG_ID,
    SUPPORT_EMAIL,
    ApiError,
    Store,
    invalid,
    parse_id,
    parse_includes,
    parse_json,
    parse_paging,
    parse_since,
)
from sandboxes.hostile import serve_freshdesk
from sandboxes.http import LOST_ANSWERS, SandboxLifecycle, SandboxServer, lose_answer

log = logging.getLogger(__name__)
INVALID_CREDENTIALS = {
    "code": "invalid_credentials",
    "message": "You have to be logged in to perform this action.",
}
FAULT_BODIES: dict[str, tuple[int, Json]] = {
    "429": (429, LIMITED),
    "401": (401, INVALID_CREDENTIALS),
    "500": (500, {"code": "internal_error", "message": "We're sorry, something went wrong."}),
    "503": (503, {"code": "service_unavailable", "message": "Service temporarily unavailable"}),
}
INCLUDES = {"requester", "stats", "description"}


class FreshdeskSandbox(SandboxLifecycle):
    """A local Freshdesk API v2 subset on 127.0.0.1, seeded with deterministic tickets."""

    api_key = "sandbox-api-key"

    def __init__(
        self,
        tickets: int = 200,
        seed: int = 7,
        now: datetime | None = None,
        latency_ms: int = 0,
        rate_limit_per_minute: int | None = None,
        faults: Iterable[str] | None = None,
        port: int = 0,
        job_delay_ms: int = 20,
        *,
        page_limit: int = 300,
        scenarios: bool = True,
        real_limits: bool = False,
        plan: str = DEFAULT_PLAN,
        minute_s: float = 60.0,
        agents: int = len(AGENTS),
    ) -> None:
        """`tickets` in all; with `scenarios`, the named CARE scenarios are ids 1..N of them.
        `real_limits`: enforce the `plan`'s documented credits and endpoint maxima (see
        limits.py), counted in windows of `minute_s` seconds (tests shrink it).
        `agents`: the account's agents (ids 9001 on); the seeded tickets go to the first
        four, the others (a team larger than the tickets show) hold none."""
        if agents < len(AGENTS):
            raise ValueError(f"the seeded tickets need at least {len(AGENTS)} agents")
        self.agent_ids = tuple(range(AGENTS[0], AGENTS[0] + agents))
        self._agent_names: dict[int, str] = {}  # renamed since (`rename_agent`)
        if now is None:
            anchor, self._offset = int(time.time()) // 60 * 60, 0.0
        else:
            anchor = int((now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp())
            self._offset = anchor - time.time()
        self.now = datetime.fromtimestamp(anchor, UTC)
        named = SCENARIO_COUNT if scenarios else 0
        self.store = Store(Seed(max(tickets - named, 0), seed, anchor, named), self.clock)
        self.latency_ms, self.job_delay_ms, self.page_limit = latency_ms, job_delay_ms, page_limit
        chosen = PLANS[plan] if real_limits else Plan(NOMINAL_LIMIT)
        if rate_limit_per_minute:
            chosen = Plan(rate_limit_per_minute, chosen.calls)
        self.real_limits, self.plan = real_limits, plan
        self.credits = Credits(chosen, minute_s)
        self.limit = chosen.credits
        self.spending = self.credits.spending  # (sandbox time, credits) of each request
        self._faults: list[tuple[str, str]] = []
        self._faults_lock = threading.Lock()
        for fault in faults or ():
            self.inject(fault)
        self._log: list[tuple[str, str]] = []
        self._port = port
        self._httpd: SandboxServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> FreshdeskSandbox:
        self._httpd = SandboxServer(self, self._port, "Freshdesk", FAULT_BODIES["500"][1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="freshdesk-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = None

    # -- test helpers -------------------------------------------------------------------
    def ticket(self, ticket_id: int) -> Json:
        """The ticket as `GET /api/v2/tickets/{id}?include=stats` returns it now."""
        found = self.store.get(ticket_id)
        if found is None:
            raise KeyError(ticket_id)
        return found[0]

    def created_tickets(self) -> list[int]:
        """The ids of the tickets created through `POST /api/v2/tickets` and
        `POST /api/v2/tickets/outbound_email`, in order."""
        return list(self.store.created)

    def notes(self, ticket_id: int) -> list[Json]:
        """Private and public notes (source 2) of a ticket, oldest first."""
        found = self.store.get(ticket_id)
        if found is None:
            raise KeyError(ticket_id)
        return [c for c in found[1] if c["source"] == 2]

    def note_texts(self, ticket_id: int) -> list[str]:
        """The text of every note on the ticket, oldest first (what `care demo` checks)."""
        return [n.get("body_text") or n.get("body") or "" for n in self.notes(ticket_id)]

    def touch(self, ticket_id: int, **fields: Any) -> Json:
        """Simulate an agent/requester change in Freshdesk (bumps updated_at); see Store.touch."""
        return self.store.touch(ticket_id, **fields)

    def move(self, ticket_id: int, *, group: bool = False, agent: bool = False) -> Json:
        """An agent moves the ticket to the next group and/or hands it to the next agent
        (a scenario's history, see sandboxes/scenarios.py)."""
        current = self.ticket(ticket_id)
        fields: dict[str, int] = {}
        if group:
            fields["group_id"] = _next(GROUPS, current["group_id"])
        if agent:
            fields["responder_id"] = _next(AGENTS, current["responder_id"])
        return self.store.touch(ticket_id, **fields)

    def tamper(self, ticket_id: int, **parts: Any) -> None:
        """Serve this ticket with hostile or broken raw JSON until it next changes
        (`touch`): parts `ticket`, `requester`, `stats`; see sandboxes/hostile.py."""
        self.store.require(ticket_id)
        self.store.tampering.add(ticket_id, parts)

    def rename_agent(self, agent_id: int, name: str) -> None:
        """An admin edits an agent's name in Freshdesk: served as given (raw, hostile or
        not) as the agent's `contact.name` from now on."""
        if agent_id not in self.agent_ids:
            raise KeyError(agent_id)
        self._agent_names[agent_id] = name

    def _agent(self, agent_id: int) -> Json:
        return agent_json(agent_id, int(self.now.timestamp()), self._agent_names.get(agent_id))

    def inject(self, fault: str) -> None:
        """Queue a fault: '429', '500', '503', '401', 'conn_reset', 'malformed:<id>', or an
        answer lost after the request did its work ('lost_reset', 'lost_cut', 'lost_502',
        'lost_garbled'); '<fault>@<path prefix>' limits it to matching paths. Each fires once."""
        kind, _, prefix = fault.partition("@")
        if kind not in (*FAULT_BODIES, "conn_reset", *LOST_ANSWERS) and not re.fullmatch(
            r"malformed:\d+", kind
        ):
            raise ValueError(f"unknown fault {fault!r}")
        with self._faults_lock:
            self._faults.append((kind, prefix))

    @property
    def requests_log(self) -> list[tuple[str, str]]:
        return list(self._log)

    def reset_log(self) -> None:
        self._log.clear()

    # -- request pipeline ---------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, Any, dict]:
        """One request -> (status, JSON body, None to drop the connection or b'' for an
        empty body, headers)."""
        split = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        self._log.append((method, split.path))
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        fault = self._take_fault(split.path)
        if fault == "conn_reset":
            return 0, None, {}
        if fault in LOST_ANSWERS:  # the request does its work, then its answer is lost
            status, payload, _ = self._answer(method, split.path, query, headers, body)
            return lose_answer(fault, status, payload)
        if fault is not None:
            status, fault_body = FAULT_BODIES[fault]
            retry = {"Retry-After": "1"} if status in (429, 503) else {}
            return status, fault_body, {**self._limits(0), **retry}
        return self._answer(method, split.path, query, headers, body)

    def _answer(
        self, method: str, path: str, query: dict[str, str], headers: Any, body: bytes
    ) -> tuple[int, Any, dict]:
        try:
            if not self._authenticated(headers.get("Authorization", "")):
                raise ApiError(401, INVALID_CREDENTIALS)
            listing = method == "GET" and path == "/api/v2/tickets"
            cost = 1 + 2 * len(parse_includes(query) & INCLUDES) if listing else 1
            limits = self.credits.spend(method, path, cost, self.clock())
            try:
                status, payload, extra = self._route(method, path, query, body)
            except ApiError as e:
                raise ApiError(e.status, e.body, {**limits, **e.headers}) from None
            return status, payload, {**limits, **extra}
        except ApiError as e:
            return e.status, b"" if e.body is None else e.body, {**self._limits(0), **e.headers}

    def _take_fault(self, path: str) -> str | None:
        with self._faults_lock:
            for i, (kind, prefix) in enumerate(self._faults):
                if not kind.startswith("malformed:") and path.startswith(prefix):
                    return self._faults.pop(i)[0]
        return None

    def _malformed(self, ids: set[int]) -> set[int]:
        """Take the queued 'malformed:<id>' faults for these tickets (each fires once)."""
        hit: set[int] = set()
        with self._faults_lock:
            for kind, prefix in list(self._faults):
                name, _, ticket_id = kind.partition(":")
                if name == "malformed" and int(ticket_id) in ids - hit:
                    hit.add(int(ticket_id))
                    self._faults.remove((kind, prefix))
        return hit

    def _authenticated(self, header: str) -> bool:
        kind, _, value = header.partition(" ")
        if kind.lower() != "basic":
            return False
        try:
            user, _, _ = base64.b64decode(value.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return user == self.api_key  # the password is ignored ("X" by convention)

    def _limits(self, used: int) -> dict[str, str]:
        return self.credits.headers(self.clock(), used)

    @property
    def throttled(self) -> int:
        """429s answered for the account's credits."""
        return self.credits.refused["account"]

    # -- routes -------------------------------------------------------------------------
    def _route(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple:
        parts = path.strip("/").split("/")
        if parts[:2] != ["api", "v2"]:
            raise ApiError(404, None)
        parts = parts[2:]
        match method, parts:
            case "GET", ["tickets"]:
                return self._list_tickets(path, query)
            case "POST", ["tickets"]:
                return 201, self.store.create(parse_json(body), outbound=False), {}
            case "POST", ["tickets", "outbound_email"]:
                return 201, self.store.create(parse_json(body), outbound=True), {}
            case "GET", ["email_configs"]:
                return 200, [self._email_config()], {}
            case "POST", ["tickets", "bulk_update"]:
                job_id = self.store.create_job(parse_json(body))
                timer = threading.Timer(self.job_delay_ms / 1000, self.store.run_job, (job_id,))
                timer.daemon = True
                timer.start()
                return 202, {"job_id": job_id, "href": f"{self.url}/api/v2/jobs/{job_id}"}, {}
            case "GET", ["tickets", tid]:
                return 200, self._view_ticket(parse_id(tid), parse_includes(query)), {}
            case "PUT", ["tickets", tid]:
                ticket = self.store.update(parse_id(tid), parse_json(body))
                ticket.pop("stats", None)
                return 200, ticket, {}
            case "GET", ["tickets", tid, "conversations"]:
                _, convs = self.store.require(parse_id(tid))
                page, per_page = parse_paging(query, default=30)
                rows = convs[(page - 1) * per_page : page * per_page]
                more = len(convs) > page * per_page
                return 200, rows, self._link(path, query, page, more)
            case "POST", ["tickets", tid, "notes"]:
                return 201, self.store.add_note(parse_id(tid), parse_json(body)), {}
            case "GET", ["contacts", cid]:
                contact = self.store.contact(parse_id(cid))
                if contact is None:
                    raise ApiError(404, None)
                return 200, contact, {}
            case "GET", ["jobs", job_id]:
                return 200, self.store.job(job_id), {}
            case "GET", ["agents"]:
                return self._list_agents(path, query)
            case "GET", ["agents", "me"]:  # the API key belongs to the first agent
                return 200, self._agent(AGENTS[0]), {}
            case "GET", ["groups"]:
                page, per_page = parse_paging(query, default=30)
                created = int(self.now.timestamp()) - 400 * 86_400
                every = [group_json(g, created) for g in GROUPS]
                rows = every[(page - 1) * per_page : page * per_page]
                more = page * per_page < len(every)
                return 200, rows, self._link(path, query, page, more)
        raise ApiError(404, None)

    def _list_agents(self, path: str, query: dict[str, str]) -> tuple:
        """List All Agents, by id, 1 credit a call (the rate-limit docs charge more only for
        includes: "Each include will consume an additional 2 credits"): `page` and
        `per_page` ("By default, the number of objects returned per page is 30 ... The
        maximum number of objects that can be retrieved per page is 100"), a `link`
        header to the next page that "will not be set" on the last one. The `email`,
        `mobile`, `phone` and `state` filters are not modelled.
        https://developers.freshdesk.com/api/#list_all_agents
        https://developers.freshdesk.com/api/#pagination"""
        page, per_page = parse_paging(query, default=30)
        ids = self.agent_ids[(page - 1) * per_page : page * per_page]
        more = page * per_page < len(self.agent_ids)
        return 200, [self._agent(i) for i in ids], self._link(path, query, page, more)

    def _list_tickets(self, path: str, query: dict[str, str]) -> tuple:
        page, per_page = parse_paging(query, default=30)
        if page > self.page_limit:
            raise invalid("page", "You cannot access tickets beyond the 300th page")
        order_by = query.get("order_by", "created_at")
        order_type = query.get("order_type", "desc")
        if order_by not in ("created_at", "updated_at"):
            raise invalid("order_by", "It should be one of these values: 'created_at,updated_at'")
        if order_type not in ("asc", "desc"):
            raise invalid("order_type", "It should be one of these values: 'asc,desc'")
        since = parse_since(query.get("updated_since"))
        includes = parse_includes(query)
        if not includes <= INCLUDES:
            raise invalid(
                "include", "It should be one of these values: 'requester,stats,description'"
            )
        requester = self._requester_filter(query)
        if requester == 0:  # no contact has that e-mail: no tickets (unconfirmed)
            return 200, [], {}
        ids = self.store.ticket_ids(order_by, order_type == "desc", since, requester)
        window = list(islice(ids, (page - 1) * per_page, page * per_page + 1))
        more = len(window) > per_page
        broken = self._malformed(set(window[:per_page]))
        rows = [self._list_row(i, includes, i in broken) for i in window[:per_page]]
        return 200, rows, self._link(path, query, page, more)

    def _requester_filter(self, query: dict[str, str]) -> int | None:
        """List All Tickets' `email` / `requester_id` filters ("filter tickets by requester
        email / requester ID"), combined with updated_since, order_by, paging and includes:
        https://developers.freshdesk.com/api/#list_all_tickets
        Returns the contact id, 0 for an e-mail no contact has, None without a filter."""
        if "requester_id" in query:
            if not query["requester_id"].isdigit():
                raise invalid(
                    "requester_id", "It should be a/an Positive Integer", "datatype_mismatch"
                )
            return int(query["requester_id"])
        if "email" in query:
            email = query["email"].strip()
            if "@" not in email:
                raise invalid("email", "It should be in the 'valid email address' format")
            return self.store.find_contact(email) or 0
        return None

    def _email_config(self) -> Json:
        """The sandbox's one, primary email config (mailbox) for List All Email Configs:
        https://developers.freshdesk.com/api/#email_configs
        Unconfirmed: the field list was not checked against that page's text (a third-party
        schema shows `support_email` instead of `to_email`); clients should read `id` and
        `primary_role` only."""
        stamp = iso(int(self.now.timestamp()) - 400 * 86_400)
        return {
            "id": EMAIL_CONFIG_ID,
            "name": "CARE Support",
            "product_id": None,
            "to_email": SUPPORT_EMAIL,
            "reply_email": SUPPORT_EMAIL,
            "group_id": None,
            "primary_role": True,
            "active": True,
            "created_at": stamp,
            "updated_at": stamp,
        }

    def _list_row(self, ticket_id: int, includes: set[str], malformed: bool) -> Json:
        ticket = self.store.shaped(ticket_id, includes | {"list"})
        serve_freshdesk(self.store.tampering, ticket)
        if malformed:  # an injected bad record: unparseable timestamp, no subject
            ticket["updated_at"], ticket["subject"] = "not-a-date", None
        return ticket

    def _view_ticket(self, ticket_id: int, includes: set[str]) -> Json:
        return self._list_row(
            ticket_id, includes | {"description"}, bool(self._malformed({ticket_id}))
        )

    def _link(self, path: str, query: dict[str, str], page: int, more: bool) -> dict[str, str]:
        if not more:
            return {}
        return {"Link": f'<{self.url}{path}?{urlencode({**query, "page": page + 1})}>; rel="next"'}


def _next(cycle: tuple[int, ...], current: int | None) -> int:
    return cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else cycle[0]


def serve_forever(
    port: int,
    tickets: int,
    seed: int,
    latency_ms: int,
    rate_limit_per_minute: int | None,
    faults: Iterable[str] = (),
    *,
    real_limits: bool = False,
    plan: str = DEFAULT_PLAN,
) -> None:
    """Run a sandbox in the foreground until Ctrl-C (for `care sandbox freshdesk`).
    With `real_limits`, the last line printed counts the calls each limit let through
    and refused, as JSON (bench/poll_backfill.py reads it)."""
    if plan not in PLANS:
        raise ValueError(f"unknown plan {plan!r}: one of {', '.join(PLANS)}")
    sandbox = FreshdeskSandbox(
        tickets=tickets,
        seed=seed,
        latency_ms=latency_ms,
        rate_limit_per_minute=rate_limit_per_minute,
        faults=faults,
        port=port,
        real_limits=real_limits,
        plan=plan,
    ).start()
    limits = f" · {plan} plan's rate limits" if real_limits else ""
    try:  # a Ctrl-C right after start still stops it and prints the counts
        print(
            f"Freshdesk sandbox on {sandbox.url} · API key {sandbox.api_key} (password X){limits}",
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        if real_limits:
            print(json.dumps(sandbox.credits.counts()), flush=True)
