"""The sandbox's ticket store: seeded base data plus an overlay of changed tickets.

Untouched tickets are computed from the seed on demand; a changed ticket is copied into
`_changed` and its new (generated_timestamp, id) key is inserted into `_order`, a sorted
list that also holds the scenario tickets. The export stream merges `_order` with the
implicit filler sequence, so a ticket changed again reappears further on in the stream.
Stale keys in `_order` are skipped on read instead of being deleted (cheap appends).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import hashlib
import html
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from typing import Any

from sandboxes.hostile import Tampering
from sandboxes.scenarios import PEOPLE
from sandboxes.zendesk.records import (
    ADMIN_ID,
    AGENT_BASE,
    CREATED_USER_BASE,
    PERSON_BASE,
    PRIORITIES,
    REQUESTER_BASE,
    STATUSES,
    TYPES,
    Rec,
    iso,
)
from sandboxes.zendesk.seed import Seed

UserFields = tuple[str, str | None, int, str, int | None]  # name, email, created, role, org

Json = dict[str, Any]
MAX_JOBS = 1_000  # job statuses kept (Zendesk keeps them for a limited time only)


class ApiError(Exception):
    """An error response: HTTP status and the Zendesk JSON body."""

    def __init__(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {body}")
        self.status, self.body, self.headers = status, body, headers or {}


def not_found() -> ApiError:
    return ApiError(404, {"error": "RecordNotFound", "description": "Not found"})


def invalid(details: dict[str, list[Json]]) -> ApiError:
    body = {"error": "RecordInvalid", "description": "Record validation errors", "details": details}
    return ApiError(422, body)


def encode_cursor(key: tuple[int, int]) -> str:
    """Zendesk's documented cursors decode to `<epoch>.0||<id>|`; clients treat them as opaque."""
    return base64.b64encode(f"{key[0]}.0||{key[1]}|".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        text = base64.b64decode(cursor + "=" * (-len(cursor) % 4), validate=True).decode()
        match = re.fullmatch(r"(\d+)(?:\.\d+)?\|\|(\d+)\|", text)
    except (binascii.Error, UnicodeDecodeError):
        match = None
    if not match:
        raise ApiError(
            400, {"error": "InvalidPaginationParameter", "description": "The cursor is invalid"}
        )
    return int(match[1]), int(match[2])


class Store:
    def __init__(self, seed: Seed, clock: Callable[[], float]) -> None:
        self.seed, self.clock = seed, clock
        self.lock = threading.RLock()
        self.tampering = Tampering()  # hostile records served until the ticket next changes
        self._base: dict[int, Rec] = {r.id: r for r in seed.scenario_recs()}
        self._changed: dict[int, Rec] = {}
        self._order: list[tuple[int, int]] = sorted((r.gts, r.id) for r in self._base.values())
        self._jobs: OrderedDict[str, Json] = OrderedDict()
        self._seq = 0  # comment, audit and job numbers
        self.audits: Counter[int] = Counter()  # ticket updates (audits) per ticket, any author
        self._last_ts = 0
        self._users: dict[int, UserFields] = {}  # end users created along with a ticket
        self._renamed: dict[int, str] = {}  # users renamed since (`rename_user`)
        self._emails: dict[str, int] = {}  # their e-mail addresses (lower case) -> id
        self.created: list[int] = []  # tickets created through the API, in order
        self._external: dict[str, list[int]] = {}  # external_id -> ticket ids, in id order

    # -- reading ------------------------------------------------------------------------
    def base_rec(self, tid: int) -> Rec | None:
        if tid in self._base:
            return self._base[tid]
        if self.seed.first_filler <= tid <= self.seed.total:
            return self.seed.filler_rec(tid)
        return None

    def rec(self, tid: int) -> Rec | None:
        with self.lock:
            return self._changed.get(tid) or self.base_rec(tid)

    def ticket_ids(self) -> list[int]:
        """Every ticket id, smallest first (List Tickets' default order)."""
        with self.lock:
            return [*range(1, self.seed.total + 1), *self.created]

    def by_external_id(self, external_id: str) -> list[Rec]:
        """Tickets whose external_id is exactly this one, by id."""
        with self.lock:
            recs = (self.rec(tid) for tid in self._external.get(external_id, []))
            return [r for r in recs if r is not None and r.external_id == external_id]

    # -- users --------------------------------------------------------------------------
    def user_fields(self, uid: int) -> UserFields | None:
        """(name, email, created, role, organization id) of a seeded or created user."""
        with self.lock:
            fields = self._users.get(uid) or self.seed.user_fields(uid)
            if fields is not None and uid in self._renamed:
                fields = (self._renamed[uid], *fields[1:])
            return fields

    def rename_user(self, uid: int, name: str) -> None:
        """Someone edits the user's name in Zendesk: it is served as given from now on."""
        with self.lock:
            if self.user_fields(uid) is None:
                raise KeyError(uid)
            self._renamed[uid] = name

    def user_ids(self, roles: set[str] | None, after: int, limit: int) -> tuple[list[int], int]:
        """Up to `limit` ids of users with one of `roles` (None: any role) after id `after`,
        smallest first, and how many such users there are in all."""
        with self.lock:
            created = (CREATED_USER_BASE, CREATED_USER_BASE + len(self._users), "end-user")
        ranges = [r for r in (*self.seed.user_ranges(), created) if roles is None or r[2] in roles]
        ids: list[int] = []
        for start, stop, _ in ranges:
            ids.extend(range(max(start, after + 1), stop)[: limit - len(ids)])
        return ids, sum(stop - start for start, stop, _ in ranges)

    def find_user(self, email: str) -> int | None:
        """The id of the user with this e-mail address (case-insensitive), if any."""
        email = email.strip().lower()
        with self.lock:
            if email in self._emails:
                return self._emails[email]
        candidates = [ADMIN_ID, *range(AGENT_BASE, AGENT_BASE + self.seed.agents)]
        candidates += range(PERSON_BASE, PERSON_BASE + len(PEOPLE))
        match = re.search(r"(\d+)@example\.com$", email)
        if match:  # filler requesters: first.last<pool index>@example.com
            candidates.append(REQUESTER_BASE + int(match[1]))
        for uid in candidates:
            fields = self.seed.user_fields(uid)
            if fields is not None and (fields[1] or "").lower() == email:
                return uid
        return None

    def _create_user(self, name: str, email: str, ts: int) -> int:
        uid = CREATED_USER_BASE + len(self._users)
        self._users[uid] = (name, email, ts, "end-user", None)
        self._emails[email.strip().lower()] = uid
        return uid

    def page(self, after: tuple[int, int], limit: int, cutoff: int) -> tuple[list[Rec], bool]:
        """Tickets with key (generated_timestamp, id) > after and timestamp <= cutoff, in key order.

        Returns up to `limit` tickets and whether more are waiting.
        """
        seed, out, prev = self.seed, [], (-1, -1)
        with self.lock:
            i = bisect.bisect_right(self._order, after)
            k = self._first_filler_after(after)
            while len(out) <= limit:
                explicit = None
                while i < len(self._order):
                    key = self._order[i]
                    rec = self._changed.get(key[1]) or self._base.get(key[1])
                    if key != prev and rec is not None and rec.gts == key[0]:
                        explicit = key
                        break
                    i += 1
                while k < seed.filler and seed.first_filler + k in self._changed:
                    k += 1
                implicit = (seed.filler_gts(k), seed.first_filler + k) if k < seed.filler else None
                key = min(filter(None, (explicit, implicit)), default=None)
                if key is None or key[0] > cutoff:
                    break
                if key == explicit:
                    i, prev = i + 1, key
                    out.append(self._changed.get(key[1]) or self._base[key[1]])
                else:
                    k += 1
                    out.append(seed.filler_rec(key[1]))
        return out[:limit], len(out) > limit

    def _first_filler_after(self, after: tuple[int, int]) -> int:
        lo, hi, seed = 0, self.seed.filler, self.seed
        while lo < hi:  # the filler keys grow with k: binary search
            mid = (lo + hi) // 2
            if (seed.filler_gts(mid), seed.first_filler + mid) > after:
                hi = mid
            else:
                lo = mid + 1
        return lo

    # -- writing ------------------------------------------------------------------------
    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _now(self) -> int:
        self._last_ts = max(int(self.clock()), self._last_ts)  # updates never go back in time
        return self._last_ts

    def _writable(self, tid: int) -> Rec:
        rec = self._changed.get(tid)
        if rec is None:
            base = self.base_rec(tid)
            if base is None:
                raise not_found()
            rec = copy.copy(base)
            rec.tags, rec.added = list(base.tags), list(base.added)
            self._changed[tid] = rec
        return rec

    def _bump(self, rec: Rec, ts: int, event: bool = True) -> None:
        if event:  # updated_at moves with ticket events; generated_timestamp with every update
            rec.updated = ts
        rec.gts = ts
        bisect.insort(self._order, (ts, rec.id))

    def update(
        self,
        tid: int,
        change: Json,
        actor: int = ADMIN_ID,
        *,
        tag_ops: bool = True,
        system: bool = False,
    ) -> tuple[Rec, list[Json]]:
        """Apply one ticket change as the API does; returns the ticket and the audit events.

        `tag_ops` enables additional_tags/remove_tags (update_many only); `system` skips the
        closed-ticket guard (the sandbox's own `touch`).
        """
        with self.lock:
            current = self.rec(tid)
            if current is None:
                raise not_found()
            _validate(change, current, system, self.seed.is_staff)
            if change.get("safe_update") and change.get("updated_stamp") != iso(current.updated):
                raise ApiError(
                    409,
                    {
                        "error": "UpdateConflict",
                        "description": (
                            "Safe Update prevented the update due to outdated ticket data. "
                            "Please fetch the latest ticket data and try again."
                        ),
                    },
                )
            return self._apply(tid, current, change, actor, tag_ops)

    def create(self, ticket: Json, actor: int = ADMIN_ID) -> tuple[Rec, list[Json], int]:
        """Create Ticket: validate, create the requester if the e-mail is unknown, store the
        ticket and its first comment. Returns the ticket, the audit's events and the new
        audit's id. Errors answer 422 RecordInvalid like Zendesk's validation errors:
        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket
        """
        with self.lock:
            ts = self._now()
            requester, new_user, author, submitter = self._creation_people(ticket, actor)
            comment = ticket.get("comment")
            status = ticket.get("status") or "new"
            fields = {k: ticket[k] for k in ("priority", "type", "tags", "group_id") if k in ticket}
            probe = Rec(0, "", "", "new", None, None, [], "api", 0, None, None, None, 0, 0, 0)
            errors = _errors(fields | {"status": status}, probe, True, self.seed.is_staff)
            if not isinstance(comment, dict) or not (
                _text(comment.get("body")) or _text(comment.get("html_body"))
            ):
                # The only required property is comment; the first comment is the
                # description ("Description: cannot be blank" is our wording).
                errors.setdefault("description", []).append(
                    {"description": "Description: cannot be blank", "error": "BlankValue"}
                )
            elif not isinstance(comment.get("public", True), bool):
                errors.setdefault("comment", []).append(
                    {"description": "Comment: public must be a boolean", "error": "InvalidValue"}
                )
            external_id = ticket.get("external_id")
            if external_id is not None and not isinstance(external_id, str | int):
                errors.setdefault("external_id", []).append(
                    {"description": "External id: is invalid", "error": "InvalidValue"}
                )
            subject = ticket.get("subject")
            if subject is not None and not isinstance(subject, str):
                errors.setdefault("subject", []).append(
                    {"description": "Subject: is invalid", "error": "InvalidValue"}
                )
            errors = {**errors, **requester[1]} if isinstance(requester, tuple) else errors
            if errors:
                raise invalid(errors)
            assert isinstance(requester, int) and isinstance(comment, dict)
            if new_user is not None:
                requester = self._create_user(*new_user, ts)
                author = author if author is not None else requester
                submitter = submitter if submitter is not None else requester
            tid = self.seed.total + 1 + len(self.created)
            body = _text(comment.get("body")) or _strip_tags(comment.get("html_body", ""))
            public = comment.get("public", True)
            first = author if author is not None else requester
            rec = Rec(
                id=tid,
                subject=subject or "",
                description=body,
                status=status,
                priority=fields.get("priority"),
                type=fields.get("type"),
                tags=list(dict.fromkeys(fields.get("tags") or [])),
                channel="api",
                requester_id=requester,
                assignee_id=None,
                group_id=fields.get("group_id"),
                organization_id=(self.user_fields(requester) or ("", None, 0, "", None))[4],
                created=ts,
                updated=ts,
                gts=ts,
                group_stations=1 if fields.get("group_id") else 0,
                requester_at=ts if first == requester else None,
                status_at=ts,
                latest_comment=ts,
                solved=ts if status in ("solved", "closed") else None,
                external_id=None if external_id is None else str(external_id),
                submitter_id=submitter if submitter is not None else first,
                api_created=True,
                is_public=public,
            )
            cid = 10**12 + self._next()
            rec.added.append((cid, first, body, public, ts))
            self._base[tid] = rec
            bisect.insort(self._order, (ts, tid))
            self.created.append(tid)
            if rec.external_id is not None:
                self._external.setdefault(rec.external_id, []).append(tid)
            self.audits[tid] += 1
            events = [
                {"type": "Comment", "author_id": first, "body": body, "public": public},
                *(
                    {"type": "Create", "field_name": name, "value": value}
                    for name, value in (
                        ("subject", rec.subject),
                        ("requester_id", requester),
                        ("status", status),
                        ("priority", rec.priority),
                        ("type", rec.type),
                        ("group_id", rec.group_id),
                        ("tags", rec.tags),
                    )
                    if value not in (None, "", [])
                ),
            ]
            for event in events:
                event["id"] = self._next()
            return rec, events, 2 * 10**12 + cid  # the audit id its comment reports

    def _creation_people(
        self, ticket: Json, actor: int
    ) -> tuple[int | tuple[None, dict[str, list[Json]]], tuple[str, str] | None, Any, Any]:
        """(requester id or (None, errors), (name, email) of a user to create, first-comment
        author id, submitter id) of a Create Ticket body.

        "By default, the requester of a ticket is the submitter"; "the submitter is always the
        first comment author"; passing the agent as submitter_id makes the agent the author:
        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#requesters-and-submitters
        A comment `author_id` names the author (Ticket Comments: author_id is writable):
        https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/
        The sandbox then makes that user the submitter too, so the rule above still holds.
        """
        errors: dict[str, list[Json]] = {}

        def bad(name: str, text: str) -> None:
            errors.setdefault(name, []).append({"description": text, "error": "InvalidValue"})

        comment = ticket.get("comment") if isinstance(ticket.get("comment"), dict) else {}
        author, submitter = comment.get("author_id"), ticket.get("submitter_id")
        for name, uid in (("author_id", author), ("submitter_id", submitter)):
            if uid is not None and (not _is_id(uid) or self.user_fields(uid) is None):
                bad(name, f"{name}: is not a known user")
        if submitter is None:
            submitter = author
        elif author is None:
            author = submitter
        requester_id, requester = ticket.get("requester_id"), ticket.get("requester")
        new_user: tuple[str, str] | None = None
        found: int | None = None
        if requester_id is not None:
            if not _is_id(requester_id) or self.user_fields(requester_id) is None:
                bad("requester", "Requester: is invalid")
            else:
                found = requester_id
        elif isinstance(requester, dict):
            # "The name, email, and locale id can be set on the new requester, with the name
            # and email being required"; "if a user already exists with the given email
            # address then we will use that user, no updates will be made to existing users
            # ... only the email attribute is required":
            # https://developer.zendesk.com/documentation/ticketing/managing-tickets/creating-and-updating-tickets/#creating-a-ticket-with-a-new-requester
            email, name = requester.get("email"), requester.get("name")
            if not isinstance(email, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
                bad("requester", "Requester: Email is invalid")
            elif (known := self.find_user(email)) is not None:
                found = known
            elif not _text(name):
                bad("requester", "Requester: Name is required for a new requester")
            else:
                new_user = (str(name).strip(), email.strip())
        else:
            # requester_id is mandatory in the ticket JSON format; the sandbox does not
            # default it to the authenticated agent (unconfirmed what Zendesk does).
            bad("requester", "Requester: cannot be blank")
        if errors:
            return (None, errors), None, author, submitter
        if new_user is not None:
            return 0, new_user, author, submitter
        assert found is not None
        return found, None, author, submitter

    def _apply(
        self, tid: int, current: Rec, change: Json, actor: int, tag_ops: bool
    ) -> tuple[Rec, list[Json]]:
        tags = list(dict.fromkeys(change["tags"])) if "tags" in change else list(current.tags)
        if tag_ops:
            tags += [t for t in dict.fromkeys(change.get("additional_tags", [])) if t not in tags]
            tags = [t for t in tags if t not in set(change.get("remove_tags", []))]
        events: list[Json] = []
        if tags != current.tags:
            events.append(_change("tags", tags, current.tags))
        for name in ("subject", "priority", "type", "status", "group_id", "assignee_id"):
            if name in change and change[name] != getattr(current, name):
                events.append(_change(name, change[name], getattr(current, name)))
        comment = change.get("comment")
        if not events and not comment:
            return current, []
        ts, rec = self._now(), self._writable(tid)
        rec.tags = tags
        for event in events:
            self._set_field(rec, event["field_name"], event["value"], ts)
        if comment:
            events.append(self._add_comment(rec, comment, actor, ts))
        for event in events:
            event["id"] = self._next()
        self._bump(rec, ts)
        self.audits[tid] += 1
        return rec, events

    def _set_field(self, rec: Rec, name: str, value: Any, ts: int) -> None:
        if name == "status":
            if value in ("solved", "closed") and rec.status not in ("solved", "closed"):
                rec.solved = ts
            if rec.status == "solved" and value in ("new", "open", "pending", "hold"):
                rec.reopens += 1
            rec.status_at = ts
        elif name == "group_id" and value is not None:
            rec.group_stations += 1
        elif name == "assignee_id" and value is not None:
            rec.assignee_stations += 1
            rec.assigned_last = ts
            rec.assigned_first = rec.assigned_first or ts
        if name != "tags":
            setattr(rec, name, value)

    def _add_comment(self, rec: Rec, comment: Json, actor: int, ts: int) -> Json:
        author = comment.get("author_id") or actor
        body = comment.get("body") or _strip_tags(comment.get("html_body", ""))
        public = bool(comment.get("public", True))
        is_agent = self.seed.is_staff(author)
        cid = 10**12 + self._next()
        rec.added.append((cid, author, body, public, ts))
        rec.is_public = rec.is_public or public
        rec.latest_comment = ts
        if is_agent and public:
            rec.replies += 1
            rec.first_reply = rec.first_reply or ts
        if author == rec.assignee_id:
            rec.agent_at = ts
        if author == rec.requester_id:
            rec.requester_at = ts
        return {"type": "Comment", "author_id": author, "body": body, "public": public}

    def touch(
        self,
        tid: int,
        requester_message: str | None = None,
        agent_reply: str | None = None,
        **fields: Any,
    ) -> Rec:
        """Simulate a change made in Zendesk by a person (or, without arguments, the system)."""
        with self.lock:
            current = self.rec(tid)
            if current is None:
                raise not_found()
            self.tampering.clear(tid)  # a person changed it: the export is clean again
            if not (requester_message or agent_reply or fields):
                rec = self._writable(tid)
                self._bump(rec, self._now(), event=False)  # system update: timestamp only
                return rec
            if agent_reply:
                assignee = current.assignee_id or AGENT_BASE
                opened = {"status": "open"} if current.status == "new" else {}
                change = {
                    "assignee_id": assignee,
                    **opened,
                    **fields,
                    "comment": {"body": agent_reply, "public": True},
                }
                self.update(tid, change, actor=assignee, tag_ops=True, system=True)
                fields = {}
            if requester_message:
                status = {"pending": "open", "solved": "open"}.get(current.status)
                change = {
                    **({"status": status} if status else {}),
                    **fields,
                    "comment": {"body": requester_message, "public": True},
                }
                self.update(tid, change, actor=current.requester_id, tag_ops=True, system=True)
                fields = {}
            if fields:
                self.update(tid, fields, tag_ops=True, system=True)
            return self._changed[tid]

    # -- jobs (update_many) -------------------------------------------------------------
    def create_job(self, items: list[tuple[Any, Json]]) -> str:
        with self.lock:
            digest = hashlib.sha1(f"{self.seed.seed}:{self._next()}".encode()).hexdigest()[:32]
            job = {
                "id": digest,
                "status": "queued",
                "total": len(items),
                "progress": 0,
                "message": None,
                "results": None,
                "_items": items,
            }
            self._jobs[digest] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)
            return digest

    def job(self, job_id: str) -> Json | None:
        with self.lock:
            job = self._jobs.get(job_id)
            return None if job is None else {k: v for k, v in job.items() if not k.startswith("_")}

    def start_job(self, job_id: str) -> None:
        with self.lock:
            if job_id in self._jobs:
                self._jobs[job_id]["status"] = "working"

    def run_job(self, job_id: str) -> None:
        with self.lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            results = []
            for tid, change in job.pop("_items"):
                results.append(self._job_item(tid, change))
                job["progress"] += 1
            stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(self.clock()))
            job.update(status="completed", message=f"Completed at {stamp}", results=results)
            job["_completed"] = self._next()

    def recent_jobs(self) -> list[Json]:
        """Every job kept, as List Job Statuses orders them: by completion, then creation,
        newest first. Where unfinished jobs go is not documented: here, first."""
        with self.lock:
            ordered = sorted(
                enumerate(self._jobs.values()),
                key=lambda item: (-item[1].get("_completed", 1 << 62), -item[0]),
            )
            return [{k: v for k, v in job.items() if not k.startswith("_")} for _, job in ordered]

    def _job_item(self, tid: Any, change: Json) -> Json:
        try:
            if not isinstance(tid, int) or isinstance(tid, bool):
                raise not_found()
            self.update(tid, change, tag_ops=True)
        except ApiError as e:
            error = {404: "TicketNotFound", 409: "UpdateConflict"}.get(e.status, "RecordInvalid")
            details = e.body.get("details") or e.body.get("description")
            if isinstance(details, dict):
                details = "; ".join(d["description"] for v in details.values() for d in v)
            if e.status == 404:
                details = f"Ticket {tid} not found"
            return {
                "id": tid,
                "action": "update",
                "success": False,
                "status": "Failed",
                "error": error,
                "details": details,
            }
        return {"id": tid, "action": "update", "success": True, "status": "Updated"}

    def conversation(self, tid: int) -> list[tuple[int, int, int, str, bool]] | None:
        """All comments of a ticket as (created, id, author id, body, public), oldest first."""
        with self.lock:
            base, rec = self.base_rec(tid), self.rec(tid)
            if base is None or rec is None:
                return None
            added = [(t, c, a, b, p) for c, a, b, p, t in rec.added]
        return sorted(_seeded_comments(base) + added)


def _seeded_comments(rec: Rec) -> list[tuple[int, int, int, str, bool]]:
    """The conversation implied by a seeded ticket's metric set."""
    if rec.api_created:  # its first comment is in `added`
        return []
    rows = [(rec.created, rec.id * 1000 + 1, rec.requester_id, rec.description, True)]
    agent, last_agent = rec.assignee_id or AGENT_BASE, rec.created
    if rec.replies and rec.first_reply is not None:
        first, last = rec.first_reply, rec.agent_at or rec.first_reply
        times = [first + (last - first) * j // max(rec.replies - 1, 1) for j in range(rec.replies)]
        for j, t in enumerate(times):
            if j:  # the requester answered in between
                rows.append(
                    (
                        (last_agent + t) // 2,
                        rec.id * 1000 + 2 * j + 1,
                        rec.requester_id,
                        "Thanks, but that did not solve it yet.",
                        True,
                    )
                )
            rows.append(
                (
                    t,
                    rec.id * 1000 + 2 * j + 2,
                    agent,
                    "Thank you for your message, here is what we suggest.",
                    True,
                )
            )
            last_agent = t
    if rec.requester_at and rec.requester_at > last_agent and rec.requester_at > rec.created:
        rows.append(
            (
                rec.requester_at,
                rec.id * 1000 + 999,
                rec.requester_id,
                "Any news on this, please?",
                True,
            )
        )
    return rows


def _change(name: str, value: Any, previous: Any) -> Json:
    return {"type": "Change", "field_name": name, "value": value, "previous_value": previous}


def _strip_tags(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _validate(change: Json, current: Rec, system: bool, is_staff: Callable[[int], bool]) -> None:
    errors = _errors(change, current, system, is_staff)
    if errors:
        raise invalid(errors)


def _errors(
    change: Json, current: Rec, system: bool, is_staff: Callable[[int], bool]
) -> dict[str, list[Json]]:
    errors: dict[str, list[Json]] = {}

    def bad(name: str, text: str) -> None:
        errors.setdefault(name, []).append({"description": text, "error": "InvalidValue"})

    allowed = {"priority": (*PRIORITIES, None), "status": STATUSES, "type": (*TYPES, None)}
    for name, values in allowed.items():
        if name in change and change[name] not in values:
            bad(name, f"{name.capitalize()}: {change[name]} is not valid")
    for name in ("tags", "additional_tags", "remove_tags"):
        value = change.get(name, [])
        if not isinstance(value, list) or not all(isinstance(t, str) and t for t in value):
            bad(name, f"{name}: must be a list of tags")
    for name in ("group_id", "assignee_id"):
        value = change.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            bad(name, f"{name}: is invalid")
    assignee = change.get("assignee_id")
    if isinstance(assignee, int) and not is_staff(assignee):
        bad("assignee", "Assignee: is not an agent")
    comment = change.get("comment")
    if comment is not None and not (
        isinstance(comment, dict) and (comment.get("body") or comment.get("html_body"))
    ):
        bad("comment", "Comment: body cannot be blank")
    if current.status == "closed" and not system:
        bad("status", "Status: closed prevents ticket update")
    return errors
