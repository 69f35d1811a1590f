"""`FreshdeskHelpdesk`: the Helpdesk protocol over the Freshdesk API v2 (reads)."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import requests

from care.domain.model import Status, Ticket
from care.domain.text import clean_line
from connectors.base import (
    Account,
    ApplyReport,
    Change,
    ConnectorMemory,
    Jobs,
    NewTicket,
    Page,
    RequestStats,
    Skipped,
    Submission,
    apply_and_wait,
)
from connectors.errors import HelpdeskError, MalformedRecord, NotFound
from connectors.freshdesk import create, writes
from connectors.freshdesk import endpoints as ep
from connectors.freshdesk.mapping import Conversations, to_ticket
from connectors.freshdesk.replies import ReplyCounter
from connectors.http import HelpdeskHttp, make_session
from connectors.timestamps import parse_time
from connectors.unreadable import set_aside

log = logging.getLogger("care.freshdesk")


class ApiKey:
    """Freshdesk's Basic auth: the API key as user name, any password."""

    describe = "CARE_FRESHDESK_API_KEY"

    def __repr__(self) -> str:  # the header is the key, merely base64-encoded
        return "ApiKey('**********')"

    def __init__(self, api_key: str) -> None:
        self._header = "Basic " + base64.b64encode(f"{api_key}:X".encode()).decode()

    def header(self) -> str:
        return self._header

    def renew(self) -> bool:
        return False


class FreshdeskHelpdesk:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        name: str = "freshdesk",
        page_limit: int = ep.PAGE_LIMIT,
        memory: ConnectorMemory | None = None,
        custom_statuses: Mapping[int, str] | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self._memory = memory
        self._email_config_id: int | None = None  # where outbound e-mail goes out from
        self._custom_statuses = {code: Status(s) for code, s in (custom_statuses or {}).items()}
        self.base_url = base_url.rstrip("/")
        self.stats = RequestStats()
        self._session: requests.Session = make_session()
        self.http = HelpdeskHttp(
            "Freshdesk",
            self.base_url,
            ApiKey(api_key),
            self._session,
            self.stats,
            timeout=timeout,
            sleep=sleep,
            pace=pace_by_remaining_budget,
        )
        self._page_limit = page_limit
        self._sleep = sleep
        self._account_created: dict[str, datetime | None] = {}
        self.replies = ReplyCounter(self.http, name, memory)

    # -- reads ---------------------------------------------------------------

    def whoami(self) -> Account:
        """The agent whose API key this is (`GET /api/v2/agents/me`, 1 credit)."""
        agent = self.http.get(ep.AGENTS_ME)
        contact = agent.get("contact") or {}
        return Account(
            id=str(agent.get("id")),
            name=str(contact.get("name") or ""),
            email=contact.get("email"),
            role=agent.get("type"),
        )

    def create_ticket(self, new: NewTicket) -> str:
        if new.public and self._email_config_id is None:
            self._email_config_id = create.primary_email_config(self.http)
        return create.create_ticket(self.http, new, self._email_config_id)

    def find_created(self, new: NewTicket) -> str | None:
        return create.find_created(self.http, new)

    def group_names(self) -> dict[str, str]:
        """Group id -> name (`GET /api/v2/groups`, 100 a request, 1 credit each)."""
        groups = writes.every_page(self.http, ep.GROUPS, ep.GROUPS_PAGE_SIZE, ep.NAMES_MAX_PAGES)
        return {
            str(group["id"]): clean_line(str(group.get("name") or ""))
            for group in groups
            if isinstance(group, dict) and group.get("id") is not None
        }

    def agent_names(self) -> dict[str, str]:
        """Agent id (the `responder_id` of tickets) -> the agent's name, `contact.name`
        (`GET /api/v2/agents`, 100 a request, 1 credit each); a nameless agent is left out."""
        names: dict[str, str] = {}
        agents = writes.every_page(self.http, ep.AGENTS, ep.AGENTS_PAGE_SIZE, ep.NAMES_MAX_PAGES)
        for agent in agents:
            if not isinstance(agent, dict) or agent.get("id") is None:
                continue
            contact = agent.get("contact") if isinstance(agent.get("contact"), dict) else {}
            if name := clean_line(str(contact.get("name") or "")):
                names[str(agent["id"])] = name
        return names

    def read_page(self, cursor: str | None, start: datetime) -> Page:
        """Tickets updated since the cursor's window, oldest first, 100 a request.

        Each request starts at the last `updated_at` read so far (see `Window.after`),
        so the list's 300-page limit is never in the way and a backfill of any size
        has neither gaps nor duplicates.
        """
        window = Window.decode(cursor) if cursor else Window(_iso(start), 1, ())
        rows = self.http.get(ep.TICKETS, window.params(), cost=ep.LIST_CREDITS)
        if not isinstance(rows, list):
            raise MalformedRecord(f"the ticket list is {type(rows).__name__}, not an array")
        self._learn_accounts(rows)
        tickets, skipped = self._map(rows, window)
        full = len(rows) == ep.PAGE_SIZE
        stamps = [(r.get("updated_at"), str(r.get("id"))) for r in rows if _has_time(r)]
        return Page(
            tickets=tickets,
            skipped=skipped,
            cursor=window.after(stamps, full, self._page_limit).encode(),
            end_of_stream=not full,
        )

    def _map(self, rows: list[Any], window: Window) -> tuple[list[Ticket], list[Skipped]]:
        mapped: list[tuple[dict[str, Any], Ticket]] = []
        skipped = []
        skip = set(window.skip)
        for raw in rows:
            ticket_id = str(raw.get("id", "?")) if isinstance(raw, dict) else "?"
            if ticket_id in skip and raw.get("updated_at") == window.since:
                continue  # already read at this very second; changed since, it is read again
            try:
                if not isinstance(raw, dict):
                    raise MalformedRecord(f"ticket is {type(raw).__name__}, not an object")
                mapped.append((raw, self._ticket(raw)))
            except MalformedRecord as exc:
                skipped.append(set_aside(raw, exc))
            except HelpdeskError:
                raise  # a request on the way failed (429, 5xx): not this record's fault
            except Exception as exc:  # one record, whatever is wrong with it (see set_aside)
                skipped.append(set_aside(raw, exc))
        return self._with_reply_counts(mapped), skipped

    def _ticket(self, raw: dict[str, Any], counted: Conversations | None = None) -> Ticket:
        requester_id = raw.get("requester_id")
        created = self._requester_created(str(requester_id)) if _is_id(requester_id) else None
        return to_ticket(
            raw,
            helpdesk=self.name,
            base_url=self.base_url,
            requester_created_at=created,
            conversations=counted,
            custom_statuses=self._custom_statuses,
        )

    def _with_reply_counts(self, mapped: list[tuple[dict[str, Any], Ticket]]) -> list[Ticket]:
        """The tickets, those whose rules depend on a reply count mapped again with it."""
        counts = self.replies.counts([t for _, t in mapped])
        return [
            self._ticket(raw, Conversations(agent_replies=counts[t.id])) if t.id in counts else t
            for raw, t in mapped
        ]

    def _learn_accounts(self, rows: list[Any]) -> None:
        """Account creation times for a page's requesters: from the cache, else looked up
        (one `GET /api/v2/contacts/{id}` per requester ever) and remembered."""
        wanted = {
            str(r["requester_id"])
            for r in rows
            if isinstance(r, dict) and _is_id(r.get("requester_id"))
        } - self._account_created.keys()
        if not wanted:
            return
        if self._memory is not None:
            self._account_created.update(self._memory.account_created(self.name, wanted))
        missing = wanted - self._account_created.keys()
        for contact_id in sorted(missing):
            self._requester_created(contact_id)
        if self._memory is not None and missing:
            learned = {cid: self._account_created[cid] for cid in missing}
            self._memory.remember_accounts(self.name, learned, datetime.now(UTC))

    def _requester_created(self, contact_id: str) -> datetime | None:
        """A requester's account creation time: one look-up per contact, then cached."""
        if contact_id not in self._account_created:
            try:
                contact = self.http.get(ep.CONTACT.format(id=contact_id))
                created = contact.get("created_at")
                self._account_created[contact_id] = (
                    parse_time(created, "contact.created_at") if created else None
                )
            except (NotFound, MalformedRecord):
                self._account_created[contact_id] = None
        return self._account_created[contact_id]

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self.tickets([ticket_id]).get(ticket_id)

    def tickets(self, ticket_ids: Sequence[str]) -> dict[str, Ticket | None]:
        """Tickets as they are now (Freshdesk has no show_many: one request each)."""
        found: dict[str, Ticket | None] = {}
        mapped: list[tuple[dict[str, Any], Ticket]] = []
        for ticket_id in dict.fromkeys(ticket_ids):
            found[ticket_id] = None
            try:
                raw = self.http.get(
                    ep.TICKET.format(id=ticket_id), {"include": "stats,requester"}, cost=5
                )
                mapped.append((raw, self._ticket(raw)))
            except NotFound:
                pass
            except MalformedRecord as exc:
                log.warning("ticket %s could not be read: %s", ticket_id, exc)
        found.update((t.id, t) for t in self._with_reply_counts(mapped))
        return found

    # -- writes --------------------------------------------------------------

    def ready(self, changes: Sequence[Change], flush: bool) -> tuple[list[Change], list[Change]]:
        """Tags are written ticket by ticket here: nothing gains from waiting."""
        return list(changes), []

    def submit(self, changes: Sequence[Change]) -> Submission:
        return writes.submit(self.http, changes)

    def settle(self, jobs: Jobs, wait: bool) -> tuple[ApplyReport, Jobs]:
        report, running = writes.settle(self.http, jobs)
        delay, waited = 0.05, 0.0
        while wait and running and waited < 600:
            self._sleep(delay)
            waited += delay
            delay = min(2.0, delay * 2)
            more, running = writes.settle(self.http, running)
            report.applied.extend(more.applied)
            report.failed.update(more.failed)
        return report, running

    def apply(self, changes: Sequence[Change]) -> ApplyReport:
        return apply_and_wait(self, changes)

    def close(self) -> None:
        self._session.close()


class Window:
    """Where the list stands: `updated_since`, the page in it, and the ids already read
    at exactly `since` (the filter is inclusive)."""

    def __init__(self, since: str, page: int, skip: Sequence[str]) -> None:
        self.since, self.page, self.skip = since, page, tuple(skip)

    @classmethod
    def decode(cls, cursor: str) -> Window:
        data = json.loads(cursor)
        return cls(data["since"], int(data["page"]), data.get("skip", ()))

    def encode(self) -> str:
        return json.dumps({"since": self.since, "page": self.page, "skip": list(self.skip)})

    def params(self) -> dict[str, Any]:
        return {
            "updated_since": self.since,
            "order_by": "updated_at",
            "order_type": "asc",
            "per_page": ep.PAGE_SIZE,
            "page": self.page,
            "include": ep.LIST_INCLUDES,
        }

    def after(self, stamps: list[tuple[str, str]], full: bool, page_limit: int) -> Window:
        """The window for the next request (or the next poll, when the list ended).

        Every page moves `updated_since` to its last `updated_at`: offsets never carry
        from page to page, so tickets that change while we read (our own updates
        included) cannot shift one past us. Only a run of tickets sharing one second
        is paged through, up to the page limit.
        """
        if not stamps:  # nothing readable on this page: keep going where we were
            return Window(self.since, self.page + 1 if full else 1, self.skip)
        last = max(stamp for stamp, _ in stamps)
        at_last = tuple(tid for stamp, tid in stamps if stamp == last)
        if last != self.since:
            return Window(last, 1, at_last)
        skip = tuple(dict.fromkeys((*self.skip, *at_last)))
        if not full:
            return Window(self.since, 1, skip)
        if self.page >= page_limit:
            raise MalformedRecord(f"over {len(skip)} tickets share updated_at {last}")
        return Window(self.since, self.page + 1, skip)


def pace_by_remaining_budget(headers: Mapping[str, str]) -> float:
    """Seconds to wait after a response: once less than a tenth of the per-minute budget
    is left (`X-RateLimit-Remaining` of `X-RateLimit-Total`), each response waits longer,
    up to a whole minute with nothing left, so several workers sharing one account slow
    down before they meet 429s (which are still waited out by Retry-After)."""
    try:
        remaining = int(headers["X-RateLimit-Remaining"])
        total = int(headers["X-RateLimit-Total"])
    except (KeyError, ValueError):
        return 0.0
    reserve = max(ep.LIST_CREDITS + 3, total // 10)
    if total <= 0 or remaining >= reserve:
        return 0.0
    return 60.0 * (reserve - remaining) / reserve  # nothing left: a whole minute


def _is_id(value: Any) -> bool:
    """Freshdesk numbers its records: anything else is no id to look up or remember."""
    return isinstance(value, int) and not isinstance(value, bool)


def _has_time(raw: Any) -> bool:
    if not isinstance(raw, dict):
        return False
    try:
        parse_time(raw.get("updated_at"), "updated_at")
    except MalformedRecord:
        return False
    return True


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
