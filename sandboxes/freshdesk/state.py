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

from sandboxes.freshdesk.records import AGENTS, DAY, Json, conversation, iso, quiet_fields
from sandboxes.freshdesk.scenarios import PERSON_BASE
from sandboxes.freshdesk.seed import CONTACT_BASE, Seed, stats
from sandboxes.hostile import Tampering
from sandboxes.scenarios import PEOPLE

STATUS_CODES = {2, 3, 4, 5}
PRIORITY_CODES = {1, 2, 3, 4}
UPDATABLE = {"tags", "priority", "status", "group_id", "responder_id", "type", "custom_fields"}
CREATED_CONTACT_BASE = 300_000_001  # contacts created by Create a Ticket / Outbound Email
# The sandbox's one email config (mailbox), as `GET /api/v2/email_configs` lists it.
EMAIL_CONFIG_ID = 60_000_001
SUPPORT_EMAIL = "support@care-sandbox.example"
# Fields Create a Ticket / Create an Outbound Email accept here; others answer
# invalid_field like the sandbox's Update a Ticket does.
CREATABLE = {
    "email",
    "requester_id",
    "name",
    "subject",
    "description",
    "status",
    "priority",
    "source",
    "tags",
    "type",
    "group_id",
    "responder_id",
    "custom_fields",
    "cc_emails",
}


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
        self._contacts: dict[int, Json] = {}  # contacts created along with a ticket
        self._contact_emails: dict[str, int] = {}  # their e-mail (lower case) -> id
        self.created: list[int] = []  # tickets created through the API, in order
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
            named = [(self.created_ts(i), i) for i in [*range(1, first), *self.created]]
            self._by_created = sorted([*filler, *named])
        rows = self._by_created
        lo = bisect.bisect_left(rows, (since, 0))
        picked = rows[lo:][::-1] if descending else rows[lo:]
        return (ticket_id for _, ticket_id in picked)

    def ticket_ids(
        self, order_by: str, desc: bool, since: int | None, requester_id: int | None = None
    ) -> Iterator[int]:
        """The List All Tickets order; without `updated_since`, only tickets created in the
        past 30 days (Freshdesk's documented default window); `requester_id` keeps only
        that contact's tickets (the `email` / `requester_id` filters)."""
        ids = self._ticket_ids(order_by, desc, since)
        if requester_id is None:
            return ids
        return (i for i in ids if self.requester_of(i) == requester_id)

    def requester_of(self, ticket_id: int) -> int | None:
        with self._lock:
            if ticket_id in self._changed:
                return self._changed[ticket_id][0]["requester_id"]
        return self.seed.requester_id(ticket_id) if self.seed.contains(ticket_id) else None

    def _ticket_ids(self, order_by: str, desc: bool, since: int | None) -> Iterator[int]:
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
            ticket["requester"] = self.requester(ticket["requester_id"])
        if "conversations" in includes:  # documented: at most ten, oldest first
            ticket["conversations"] = convs[:10]
        return ticket

    # -- contacts -----------------------------------------------------------------------
    def contact(self, contact_id: int) -> Json | None:
        with self._lock:
            if contact_id in self._contacts:
                return copy.deepcopy(self._contacts[contact_id])
        return self.seed.contact(contact_id)

    def requester(self, contact_id: int) -> Json:
        """The `include=requester` projection (email, id, mobile, name, phone)."""
        c = self.contact(contact_id) or {}
        return {k: c.get(k) for k in ("id", "name", "email", "mobile", "phone")}

    def find_contact(self, email: str) -> int | None:
        """The id of the contact with this e-mail address (case-insensitive), if any."""
        email = email.strip().lower()
        with self._lock:
            if email in self._contact_emails:
                return self._contact_emails[email]
        candidates = list(range(PERSON_BASE, PERSON_BASE + len(PEOPLE)))
        match = re.search(r"\.(\d+)@example\.com$", email)
        if match:  # seeded contacts: first.last.<index>@example.com
            candidates.append(CONTACT_BASE + int(match[1]))
        for contact_id in candidates:
            found = self.seed.contact(contact_id)
            if found is not None and (found.get("email") or "").lower() == email:
                return contact_id
        return None

    # -- creating -----------------------------------------------------------------------
    def create(self, body: Any, outbound: bool, agent: int = AGENTS[0]) -> Json:
        """Create a Ticket (`outbound` False) or Create an Outbound Email (True): validate,
        create the requester contact if the e-mail is unknown, store the ticket.

        Create a Ticket: one of requester_id / email (/ phone, facebook_id, twitter_id,
        unique_external_id, not modelled) is mandatory; "if no contact exists with this
        email address in Freshdesk, it will be added as a new contact"; status defaults to
        2 (Open), priority to 1 (Low), source to 2 (Portal):
        https://developers.freshdesk.com/api/#create_ticket
        Create an Outbound Email: email, subject and email_config_id are mandatory; status
        defaults to 5 (Closed), priority to 1; source is 10 (Outbound Email); the ticket is
        assigned to the agent sending the e-mail:
        https://developers.freshdesk.com/api/#create_outbound_email
        (Both read from restatements of those pages, not the pages themselves.) The
        description stays the ticket's description: no conversation is added (unconfirmed).
        """
        if not isinstance(body, dict):
            raise invalid("body", "It should be a JSON object", "datatype_mismatch")
        allowed = CREATABLE | {"email_config_id"} if outbound else CREATABLE
        errors: list[Json] = []

        def bad(field: str, message: str, code: str = "invalid_value") -> None:
            errors.append({"field": field, "message": message, "code": code})

        for key in body:
            if key not in allowed or (outbound and key in ("requester_id", "source")):
                bad(key, "Unexpected/invalid field in request", "invalid_field")
        email, requester_id = body.get("email"), body.get("requester_id")
        if email is not None and not (
            isinstance(email, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)
        ):
            bad("email", "It should be in the 'valid email address' format")
        if requester_id is not None and not _positive(requester_id):
            bad("requester_id", "It should be a/an Positive Integer", "datatype_mismatch")
        elif requester_id is not None and self.contact(requester_id) is None:
            bad("requester_id", "There is no contact matching the given requester_id")
        if outbound and email is None:
            bad("email", "It should be a/an String", "missing_field")
        if not outbound and email is None and requester_id is None:
            bad(
                "requester_id",
                "Please fill at least 1 of requester_id, phone, email, twitter_id, "
                "facebook_id, unique_external_id fields",
                "missing_field",
            )
        for key in ("subject", "description"):
            value = body.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                # Freshdesk's default form requires both (unconfirmed for the API: the
                # sandbox is strict so a client always sends them).
                bad(key, "It should not be blank as this is a mandatory field", "missing_field")
            elif not isinstance(value, str):
                bad(key, "It should be a/an String", "datatype_mismatch")
        if outbound:
            config = body.get("email_config_id")
            if config is None:
                bad("email_config_id", "It should be a/an Positive Integer", "missing_field")
            elif config != EMAIL_CONFIG_ID:
                bad("email_config_id", "There is no email_config matching the given id")
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            bad("name", "It should be a/an String", "datatype_mismatch")
        status = body.get("status", 5 if outbound else 2)
        priority = body.get("priority", 1)
        fields = {k: body[k] for k in UPDATABLE if k in body}
        fields.update(status=status, priority=priority)
        probe: Json = {"tags": [], "status": 2, "priority": 1}
        try:
            apply_fields(probe, fields)
        except ApiError as e:
            errors.extend((e.body or {}).get("errors", []))
        source = body.get("source", 10 if outbound else 2)
        if source not in (1, 2, 3, 5, 6, 7, 9, 10, 11):
            bad("source", "It should be one of these values: '1,2,3,5,6,7,9,10,11'")
        if errors:
            raise ApiError(400, {"description": "Validation failed", "errors": errors})
        with self._lock:
            now = int(self.clock())
            contact_id = requester_id if email is None else self.find_contact(email)
            if contact_id is None:
                contact_id = self._create_contact(email, name, now)
            ticket_id = self.seed.first_id + self.seed.count + len(self.created)
            text = body["description"]
            ticket: Json = {
                "id": ticket_id,
                "subject": body["subject"],
                "description": text,
                "description_text": _strip_tags(text).strip(),
                "status": status,
                "priority": priority,
                "source": source,
                "type": body.get("type"),
                "tags": list(dict.fromkeys(body.get("tags") or [])),
                "requester_id": contact_id,
                "responder_id": body.get("responder_id", agent if outbound else None),
                "group_id": body.get("group_id"),
                **quiet_fields(),
                "custom_fields": dict(body.get("custom_fields") or {}),
                "created_at": iso(now),
                "updated_at": iso(now),
                "due_by": iso(now + 3 * DAY),
                "fr_due_by": iso(now + DAY),
            }
            ticket["cc_emails"] = list(body.get("cc_emails") or [])
            if outbound:
                ticket["email_config_id"] = EMAIL_CONFIG_ID
                ticket["to_emails"] = [email]
            ticket["stats"] = stats(ticket, [], now)
            self.created.append(ticket_id)
            if self._by_created is not None:
                bisect.insort(self._by_created, (now, ticket_id))
            saved = self._save(ticket, [], bump=False)
        saved.pop("stats", None)
        return saved

    def _create_contact(self, email: str, name: str | None, now: int) -> int:
        contact_id = CREATED_CONTACT_BASE + len(self._contacts)
        stamp = iso(now)
        self._contacts[contact_id] = {
            "id": contact_id,
            # The name of a contact created from an e-mail alone is not documented: the
            # sandbox takes the part before the @.
            "name": name or email.split("@")[0],
            "email": email,
            "phone": None,
            "mobile": None,
            "active": False,  # not yet verified (unconfirmed)
            "company_id": None,
            "language": "en",
            "time_zone": "UTC",
            "created_at": stamp,
            "updated_at": stamp,
        }
        self._contact_emails[email.strip().lower()] = contact_id
        return contact_id

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


def _positive(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _ts(value: Any) -> int:
    if not value:
        return 0
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def _strip_tags(markup: str) -> str:
    """`body_text`: the body without markup, line breaks kept, entities decoded."""
    text = re.sub(r"<br\s*/?>|</p>|</div>(?!$)", "\n", markup, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text))
