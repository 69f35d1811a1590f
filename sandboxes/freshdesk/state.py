"""Sandbox state: seeded tickets computed on demand plus an overlay of changed ones, and jobs.

The overlay holds every ticket changed since the sandbox started (full JSON and
conversations) and an index kept sorted by (updated_at, id); a list request merges it with
the untouched seeded tickets, which are already in that order.
"""

from __future__ import annotations

import bisect
import copy
import hashlib
import heapq
import html
import json
import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sandboxes.freshdesk.records import DAY, Json, conversation, iso
from sandboxes.freshdesk.seed import Seed, stats
from sandboxes.hostile import Tampering

STATUS_CODES = {2, 3, 4, 5}
PRIORITY_CODES = {1, 2, 3, 4}
UPDATABLE = {"tags", "priority", "status", "group_id", "responder_id", "type", "custom_fields"}


class ApiError(Exception):
    """An answer other than success: status, JSON body (None: empty body), extra headers."""

    def __init__(self, status: int, body: Json | None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def invalid(field: str, message: str, code: str = "invalid_value") -> ApiError:
    return ApiError(
        400,
        {
            "description": "Validation failed",
            "errors": [{"field": field, "message": message, "code": code}],
        },
    )


# -- request parsing (Freshdesk answers bad input with 'Validation failed') ------------
def parse_id(text: str) -> int:
    if not text.isdigit():
        raise ApiError(404, None)
    return int(text)


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        raise ApiError(
            400, {"code": "invalid_json", "message": "Request body has invalid json format"}
        ) from None


def parse_includes(query: dict[str, str]) -> set[str]:
    return {part.strip() for part in query.get("include", "").split(",") if part.strip()}


def parse_paging(query: dict[str, str], default: int) -> tuple[int, int]:
    try:
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", str(default)))
    except ValueError:
        raise invalid("page", "It should be a/an Positive Integer", "datatype_mismatch") from None
    if page < 1:
        raise invalid("page", "It should be a/an Positive Integer", "datatype_mismatch")
    if not 1 <= per_page <= 100:
        raise invalid("per_page", "It should be a/an Positive Integer less than or equal to 100")
    return page, per_page


def parse_since(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(
            "updated_since", "It should be in the 'combined date and time ISO8601' format"
        ) from None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


class Store:
    """Tickets, contacts, conversations and bulk-update jobs, safe across request threads."""

    def __init__(self, seed: Seed, clock: Callable[[], float]) -> None:
        self.seed, self.clock = seed, clock
        self._lock = threading.RLock()
        self.tampering = Tampering()  # hostile records served until the ticket next changes
        self._changed: dict[int, tuple[Json, list[Json]]] = {}
        self._index: list[tuple[int, int]] = []  # (updated_at, id) of changed tickets, sorted
        self._jobs: dict[str, Json] = {}
        self._by_created: list[tuple[int, int]] | None = None
        for ticket, convs in seed.scenario_tickets():  # named scenarios live as changed tickets
            self._save(ticket, convs, bump=False)

    # -- reading ------------------------------------------------------------------------
    def get(self, ticket_id: int) -> tuple[Json, list[Json]] | None:
        with self._lock:
            if ticket_id in self._changed:
                ticket, convs = self._changed[ticket_id]
                return copy.deepcopy(ticket), copy.deepcopy(convs)
        if self.seed.contains(ticket_id):
            return self.seed.ticket(ticket_id)
        return None

    def require(self, ticket_id: int) -> tuple[Json, list[Json]]:
        found = self.get(ticket_id)
        if found is None:
            raise ApiError(404, None)
        return found

    def updated_ts(self, ticket_id: int) -> int:
        with self._lock:
            if ticket_id in self._changed:
                return _ts(self._changed[ticket_id][0]["updated_at"])
        return self.seed.updated_at(ticket_id)

    def created_ts(self, ticket_id: int) -> int:
        found = self.get(ticket_id)
        return _ts(found[0]["created_at"]) if found else 0

    def updated_order(self, since: int | None, descending: bool) -> Iterator[int]:
        """Ticket ids with updated_at >= since, ordered by (updated_at, id)."""
        with self._lock:
            index = list(self._index)
            changed = set(self._changed)
        up, first = self.seed.updated, self.seed.first_id
        if descending:
            base = (
                (up[i], i + first) for i in range(len(up) - 1, -1, -1) if i + first not in changed
            )
            merged = heapq.merge(base, reversed(index), reverse=True)
            for ts, ticket_id in merged:
                if since is not None and ts < since:
                    return
                yield ticket_id
            return
        start = 0 if since is None else bisect.bisect_left(up, since)
        lo = 0 if since is None else bisect.bisect_left(index, (since, 0))
        base = ((up[i], i + first) for i in range(start, len(up)) if i + first not in changed)
        for _, ticket_id in heapq.merge(base, index[lo:]):
            yield ticket_id

    def created_order(self, since: int, descending: bool) -> Iterator[int]:
        """Ticket ids created at or after `since`, by (created_at, id). created_at never moves."""
        if self._by_created is None:
            first = self.seed.first_id
            filler = zip(self.seed.created, range(first, first + self.seed.count), strict=True)
            named = [(self.created_ts(i), i) for i in range(1, first)]
            self._by_created = sorted([*filler, *named])
        rows = self._by_created
        lo = bisect.bisect_left(rows, (since, 0))
        picked = rows[lo:][::-1] if descending else rows[lo:]
        return (ticket_id for _, ticket_id in picked)

    def ticket_ids(self, order_by: str, desc: bool, since: int | None) -> Iterator[int]:
        """The List All Tickets order; without `updated_since`, only tickets created in the
        past 30 days (Freshdesk's documented default window)."""
        if since is None:
            ids = self.created_order(int(self.clock()) - 30 * DAY, desc)
            if order_by == "created_at":
                return ids
            return iter(sorted(ids, key=lambda i: (self.updated_ts(i), i), reverse=desc))
        if order_by == "updated_at":
            return self.updated_order(since, desc)
        rows = self.updated_order(since, False)
        return iter(sorted(rows, key=lambda i: (self.created_ts(i), i), reverse=desc))

    def shaped(self, ticket_id: int, includes: set[str]) -> Json:
        """The ticket JSON with the requested includes; 'list' drops the description."""
        ticket, convs = self.require(ticket_id)
        row_stats = ticket.pop("stats")
        if "list" in includes and "description" not in includes:
            ticket.pop("description"), ticket.pop("description_text")
        if "stats" in includes:
            ticket["stats"] = row_stats
        if "requester" in includes:
            ticket["requester"] = self.seed.requester(ticket["requester_id"])
        if "conversations" in includes:  # documented: at most ten, oldest first
            ticket["conversations"] = convs[:10]
        return ticket

    # -- writing ------------------------------------------------------------------------
    def _save(self, ticket: Json, convs: list[Json], bump: bool = True) -> Json:
        with self._lock:
            old = self._changed.get(ticket["id"])
            if old is not None:
                key = (_ts(old[0]["updated_at"]), ticket["id"])
                self._index.pop(bisect.bisect_left(self._index, key))
            if bump:
                ticket["updated_at"] = iso(self.clock())
            bisect.insort(self._index, (_ts(ticket["updated_at"]), ticket["id"]))
            self._changed[ticket["id"]] = (ticket, convs)
            return copy.deepcopy(ticket)

    def update(self, ticket_id: int, fields: Any) -> Json:
        """PUT semantics: a partial update; `tags` replaces the whole list."""
        with self._lock:
            ticket, convs = self.require(ticket_id)
            old_status = ticket["status"]
            apply_fields(ticket, fields)
            ticket["stats"] = refreshed_stats(ticket, convs, self.clock(), old_status)
            return self._save(ticket, convs)

    def touch(self, ticket_id: int, **fields: Any) -> Json:
        """A change made in Freshdesk by an agent or requester; `requester_message` /
        `agent_reply` add a conversation, other keys are ticket fields."""
        with self._lock:
            ticket, convs = self.require(ticket_id)
            self.tampering.clear(ticket_id)  # a person changed it: the list is clean again
            now = int(self.clock())
            for key, who in (("agent_reply", "a"), ("requester_message", "r")):
                text = fields.pop(key, None)
                if text is not None:
                    conv = conversation(
                        ticket,
                        self._next_conv_id(ticket_id, convs),
                        who,
                        ticket["responder_id"] or 9001,
                        now,
                    )
                    conv["body"], conv["body_text"] = f"<div>{text}</div>", text
                    convs.append(conv)
                    if who == "r" and ticket["status"] in (3, 4):
                        fields.setdefault("status", 2)
            old_status = ticket["status"]
            apply_fields(ticket, fields)
            ticket["stats"] = refreshed_stats(ticket, convs, now, old_status)
            return self._save(ticket, convs)

    def add_note(self, ticket_id: int, body: Any) -> Json:
        if not isinstance(body, dict):
            raise invalid("body", "It should be a JSON object", "datatype_mismatch")
        text, private = body.get("body"), body.get("private", True)
        if not isinstance(text, str) or not text.strip():
            raise invalid(
                "body", "It should not be blank as this is a mandatory field", "missing_field"
            )
        if not isinstance(private, bool):
            raise invalid(
                "private",
                "Value set is of type String.It should be a/an Boolean",
                "datatype_mismatch",
            )
        with self._lock:
            ticket, convs = self.require(ticket_id)
            now = int(self.clock())
            note = conversation(ticket, self._next_conv_id(ticket_id, convs), "n", None, now)
            note.update(
                body=text,
                body_text=_strip_tags(text),
                private=private,
                user_id=body.get("user_id", 9001),
            )
            convs.append(note)
            self._save(ticket, convs)
            return copy.deepcopy(note)

    @staticmethod
    def _next_conv_id(ticket_id: int, convs: list[Json]) -> int:
        return (
            max([c["id"] for c in convs] + [10 * ticket_id]) + 1
            if len(convs) < 9
            else (max(c["id"] for c in convs) + 1_000_000_000)
        )

    # -- jobs ---------------------------------------------------------------------------
    def create_job(self, body: Any) -> str:
        action = body.get("bulk_action") if isinstance(body, dict) else None
        if not isinstance(action, dict):
            raise invalid("bulk_action", "It should be a/an key/value pair", "missing_field")
        ids, props = action.get("ids"), action.get("properties")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            raise invalid("ids", "It should be a/an Array of Positive Integer")
        if not isinstance(props, dict) or not props:
            raise invalid("properties", "It should be a/an key/value pair", "missing_field")
        apply_fields({"tags": [], "status": 2, "priority": 1}, props)  # validate up front
        with self._lock:
            n = len(self._jobs) + 1
            job_id = hashlib.md5(f"{self.seed.seed}:{n}".encode()).hexdigest()
            now = iso(self.clock())
            # The statuses Freshdesk's server reports on GET /api/v2/jobs/{id}: QUEUED,
            # IN_PROGRESS, then SUCCESS, PARTIAL or FAILED (BULK_API_JOB_STATUSES in its
            # BulkApiJobsHelper); per-ticket results in `data`, as the API docs show them.
            self._jobs[job_id] = {
                "id": job_id,
                "status": "QUEUED",
                "created_at": now,
                "updated_at": now,
                "status_updated_at": now,
                "progress": 0,
                "data": [],
                "_work": (list(ids), dict(props)),
            }
        return job_id

    def run_job(self, job_id: str) -> None:
        with self._lock:
            ids, props = self._jobs[job_id].pop("_work")
            self._jobs[job_id].update(status="IN_PROGRESS", status_updated_at=iso(self.clock()))
        data = []
        for ticket_id in ids:
            try:
                self.update(ticket_id, props)
                data.append({"id": ticket_id, "success": True, "error": None})
            except ApiError as e:
                error = "Ticket not found" if e.status == 404 else (e.body or {}).get("errors")
                data.append({"id": ticket_id, "success": False, "error": error})
        with self._lock:
            now = iso(self.clock())
            done = sum(item["success"] for item in data)
            status = "SUCCESS" if done == len(data) else "PARTIAL" if done else "FAILED"
            self._jobs[job_id].update(
                status=status, progress=100, data=data, updated_at=now, status_updated_at=now
            )

    def job(self, job_id: str) -> Json:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise ApiError(404, None)
            return {k: copy.deepcopy(v) for k, v in job.items() if not k.startswith("_")}


def apply_fields(ticket: Json, fields: Any) -> None:
    """Validate then apply a partial update, like Freshdesk's 'Validation failed' answers."""
    if not isinstance(fields, dict):
        raise invalid("body", "It should be a JSON object", "datatype_mismatch")
    for key, value in fields.items():
        if key not in UPDATABLE:
            raise invalid(key, "Unexpected/invalid field in request", "invalid_field")
        if key == "tags" and not (
            isinstance(value, list) and all(isinstance(t, str) and t.strip() for t in value)
        ):
            raise invalid("tags", "It should be a/an Array of String", "datatype_mismatch")
        if key == "status" and value not in STATUS_CODES:
            raise invalid("status", "It should be one of these values: '2,3,4,5'")
        if key == "priority" and value not in PRIORITY_CODES:
            raise invalid("priority", "It should be one of these values: '1,2,3,4'")
        if key in ("group_id", "responder_id") and not (
            value is None or (isinstance(value, int) and value > 0)
        ):
            raise invalid(key, "It should be a/an Positive Integer", "datatype_mismatch")
    for key, value in fields.items():
        if key == "tags":
            value = list(dict.fromkeys(value))  # replaces the whole list, duplicates dropped
        if key == "custom_fields":
            value = {**ticket.get("custom_fields", {}), **value}
        ticket[key] = value


def refreshed_stats(ticket: Json, convs: list[Json], now: float, old_status: int) -> Json:
    old = ticket.get("stats") or {}
    changed = old_status != ticket["status"]
    new = stats(ticket, convs, int(now) if changed else _ts(old.get("status_updated_at")))
    new["reopened_at"] = old.get("reopened_at")
    if changed and old_status in (4, 5) and ticket["status"] == 2:
        new["reopened_at"] = iso(now)
    return new


def _ts(value: Any) -> int:
    if not value:
        return 0
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def _strip_tags(markup: str) -> str:
    """`body_text`: the body without markup, line breaks kept, entities decoded."""
    text = re.sub(r"<br\s*/?>|</p>|</div>(?!$)", "\n", markup, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text))
