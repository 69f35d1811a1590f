"""The sandbox's endpoints and the JSON they answer, in Zendesk's documented shapes."""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from sandboxes.hostile import serve_zendesk
from sandboxes.zendesk.records import (
    ADMIN_ID,
    CUSTOM_STATUS,
    GROUP_NAMES,
    Rec,
    group_json,
    iso,
)
from sandboxes.zendesk.seed import Seed
from sandboxes.zendesk.state import (
    ApiError,
    Json,
    Store,
    decode_cursor,
    encode_cursor,
    not_found,
)

EXPORT_PATH = "/api/v2/incremental/tickets/cursor"
MAX_MANY = 100
Response = tuple[int, Json, dict[str, str]]


def bad_request(error: str, description: str) -> ApiError:
    return ApiError(400, {"error": error, "description": description})


def ticket_json(rec: Rec, base: str) -> Json:
    return {
        "url": f"{base}/api/v2/tickets/{rec.id}.json",
        "id": rec.id,
        "external_id": rec.external_id,
        "via": {"channel": rec.channel, "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": iso(rec.created),
        "updated_at": iso(rec.updated),
        "generated_timestamp": rec.gts,
        "type": rec.type,
        "subject": rec.subject,
        "raw_subject": rec.subject,
        "description": rec.description,
        "priority": rec.priority,
        "status": rec.status,
        "recipient": "support@care-sandbox.zendesk.com" if rec.channel == "email" else None,
        "requester_id": rec.requester_id,
        "submitter_id": rec.submitter_id or rec.requester_id,
        "assignee_id": rec.assignee_id,
        "organization_id": rec.organization_id,
        "group_id": rec.group_id,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": rec.is_public,
        "due_at": None,
        "tags": list(rec.tags),
        "custom_fields": [],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "custom_status_id": CUSTOM_STATUS[rec.status],
        "fields": [],
        "followup_ids": [],
        "ticket_form_id": 1,
        "brand_id": 1,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }


def _minutes(start: int | None, end: int | None) -> Json:
    calendar = None if start is None or end is None else max(0, end - start) // 60
    # Business minutes assume an 8-hour business day; the sandbox has no schedule.
    return {"calendar": calendar, "business": None if calendar is None else calendar // 3}


def metric_json(rec: Rec, base: str) -> Json:
    """Ticket Metrics JSON; see seed.py for how CARE reads it."""
    mid = 10**9 + rec.id
    return {
        "url": f"{base}/api/v2/ticket_metrics/{mid}.json",
        "id": mid,
        "ticket_id": rec.id,
        "created_at": iso(rec.created),
        "updated_at": iso(rec.updated),
        "group_stations": rec.group_stations,
        "assignee_stations": rec.assignee_stations,
        "reopens": rec.reopens,
        "replies": rec.replies,
        "assignee_updated_at": iso(rec.agent_at),
        "requester_updated_at": iso(rec.requester_at),
        "status_updated_at": iso(rec.status_at),
        "custom_status_updated_at": iso(rec.status_at),
        "initially_assigned_at": iso(rec.assigned_first),
        "assigned_at": iso(rec.assigned_last),
        "solved_at": iso(rec.solved),
        "latest_comment_added_at": iso(rec.latest_comment),
        "reply_time_in_minutes": _minutes(rec.created, rec.first_reply),
        "first_resolution_time_in_minutes": _minutes(rec.created, rec.solved),
        "full_resolution_time_in_minutes": _minutes(rec.created, rec.solved),
        "agent_wait_time_in_minutes": {"calendar": 0, "business": 0},
        "requester_wait_time_in_minutes": _minutes(rec.created, rec.solved),
        "on_hold_time_in_minutes": {"calendar": 0, "business": 0},
    }


def user_json(users: Store | Seed, uid: int, base: str, partial: bool = False) -> Json | None:
    """A user; sideloads carry the partial form (the side-loading docs say partial)."""
    fields = users.user_fields(uid)
    if fields is None:
        return None
    name, email, created, role, org = fields
    user = {
        "id": uid,
        "url": f"{base}/api/v2/users/{uid}.json",
        "name": name,
        "email": email,
        "created_at": iso(created),
        "updated_at": iso(created),
        "time_zone": "UTC",
        "iana_time_zone": "Etc/UTC",
        "locale": "en-US",
        "locale_id": 1,
        "organization_id": org,
        "role": role,
        "verified": email is not None,
        "active": True,
        "suspended": False,
        "tags": [],
    }
    if not partial:
        user.update(
            {
                "phone": None,
                "photo": None,
                "external_id": None,
                "alias": "",
                "shared": False,
                "last_login_at": None,
                "signature": None,
                "details": "",
                "notes": "",
                "role_type": None,
                "custom_role_id": None,
                "moderator": False,
                "ticket_restriction": "requested" if role == "end-user" else None,
                "only_private_comments": False,
                "restricted_agent": role == "agent",
                "default_group_id": None,
                "user_fields": {},
            }
        )
    return user


def comments_json(store: Store, tid: int) -> list[Json] | None:
    rows, rec = store.conversation(tid), store.rec(tid)
    if rows is None or rec is None:
        return None
    return [
        {
            "id": cid,
            "type": "Comment",
            "author_id": author,
            "body": body,
            "html_body": f'<div class="zd-comment" dir="auto"><p dir="auto">{html.escape(body)}'
            "</p></div>",
            "plain_body": body,
            "public": public,
            "attachments": [],
            "audit_id": 2 * 10**12 + cid,
            "via": {
                "channel": "api" if cid >= 10**12 else rec.channel,
                "source": {"from": {}, "to": {}, "rel": None},
            },
            "created_at": iso(created),
            "metadata": {"system": {}, "custom": {}},
        }
        for created, cid, author, body, public in rows
    ]


def _ids(text: str | None, name: str = "ids") -> list[int]:
    try:
        ids = [int(part) for part in (text or "").split(",") if part.strip()]
    except ValueError:
        raise bad_request("InvalidValue", f"{name} must be comma-separated ids") from None
    if len(ids) > MAX_MANY:
        raise bad_request("TooManyValues", f"You can specify up to {MAX_MANY} {name}")
    return ids


class Sandbox(Protocol):
    """What the endpoints use of the sandbox serving them (server.ZendeskSandbox), so that
    the server imports the routes and not the other way round."""

    store: Store
    ai_agent_tickets: set[int]  # handled by Zendesk AI agents

    @property
    def url(self) -> str: ...

    @property
    def now(self) -> datetime: ...  # the moment the sandbox is anchored at

    def clock(self) -> float: ...

    def take_malformed(self, ticket_ids: set[int]) -> dict[int, str]: ...

    def enqueue_job(self, job_id: str) -> None: ...


class Routes:
    """One request's endpoint call: each handler returns (status, body, extra headers).
    `query` holds each parameter's last value, `lists` all of them (`role[]=a&role[]=b`)."""

    def __init__(
        self,
        sandbox: Sandbox,
        query: dict[str, str],
        body: bytes,
        lists: dict[str, list[str]] | None = None,
    ) -> None:
        self.sb, self.store, self.query, self.body = sandbox, sandbox.store, query, body
        self.lists = lists or {k: [v] for k, v in query.items()}
        self.base = sandbox.url

    def dispatch(self, method: str, path: str) -> Response:
        table: list[tuple[str, str, Callable[..., Response]]] = [
            ("GET", EXPORT_PATH, self.export),
            ("GET", r"/api/v2/tickets", self.list_tickets),
            ("POST", r"/api/v2/tickets", self.create),
            ("GET", r"/api/v2/tickets/show_many", self.show_many),
            ("PUT", r"/api/v2/tickets/update_many", self.update_many),
            ("GET", r"/api/v2/tickets/(\d+)", self.show),
            ("PUT", r"/api/v2/tickets/(\d+)", self.update),
            ("GET", r"/api/v2/tickets/(\d+)/comments", self.comments),
            ("GET", r"/api/v2/tickets/(\d+)/metrics", self.metrics),
            ("GET", r"/api/v2/job_statuses", self.recent_jobs),
            ("GET", r"/api/v2/job_statuses/show_many", self.jobs),
            ("GET", r"/api/v2/job_statuses/([0-9a-f]+)", self.job),
            ("GET", r"/api/v2/users", self.users),
            ("GET", r"/api/v2/users/(me|\d+)", self.user),
            ("GET", r"/api/v2/groups", self.groups),
        ]
        for verb, pattern, handler in table:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                return handler(*match.groups())
        raise ApiError(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def _json_body(self) -> Json:
        try:
            data = json.loads(self.body or b"null")
        except ValueError:
            raise bad_request("InvalidJSON", "The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise bad_request("InvalidJSON", "The request body must be a JSON object")
        return data

    def _sideloads(self, recs: list[Rec]) -> Json:
        include, out = set(self.query.get("include", "").split(",")), {}
        if "metric_sets" in include:
            out["metric_sets"] = [metric_json(r, self.base) for r in recs]
        if "users" in include:  # requesters (= submitters here) and assigned agents
            ids = dict.fromkeys(i for r in recs for i in (r.requester_id, r.assignee_id) if i)
            users = (user_json(self.store, uid, self.base, partial=True) for uid in ids)
            out["users"] = [u for u in users if u is not None]
        return out

    def export(self) -> Response:
        cutoff = int(self.sb.clock()) - 60  # the last minute is never exported
        try:
            per_page = min(max(int(self.query.get("per_page", 1000)), 1), 1000)
        except ValueError:
            raise bad_request("InvalidValue", "per_page must be an integer") from None
        if "cursor" in self.query:
            after, before = decode_cursor(self.query["cursor"]), self.query["cursor"]
        elif "start_time" in self.query:
            try:
                start = int(self.query["start_time"])
            except ValueError:
                raise bad_request("InvalidValue", "start_time must be a Unix epoch") from None
            if start > cutoff:
                raise bad_request(
                    "InvalidValue", "Too recent start_time. Use a start_time older than 1 minute"
                )
            after, before = (start, 0), None  # (start, 0) precedes every ticket stamped `start`
        else:
            raise bad_request("InvalidValue", "start_time or cursor is required")
        recs, more = self.store.page(after, per_page, cutoff)
        every = recs  # the cursor moves past tickets the scope leaves out, too
        recs = [r for r in recs if self._in_scope(r.id)]
        tickets = [ticket_json(r, self.base) for r in recs]
        sideloads = self._sideloads(recs)
        serve_zendesk(self.store.tampering, tickets, sideloads)
        for tid, variant in self.sb.take_malformed({r.id for r in recs}).items():
            broken = next(t for t in tickets if t.get("id") == tid)
            if variant == "missing_id":
                del broken["id"]
            else:
                broken.update(created_at="not a date", via=None, tags=None)
        after_cursor = (
            encode_cursor((every[-1].gts, every[-1].id))
            if every
            else (before or encode_cursor(after))
        )
        keep = "".join(
            f"&{k}={quote(self.query[k])}"
            for k in ("per_page", "include", "support_type_scope")
            if k in self.query
        )
        link = f"{self.base}{EXPORT_PATH}.json?cursor="
        return (
            200,
            {
                "tickets": tickets,
                **sideloads,
                "after_cursor": after_cursor,
                "after_url": f"{link}{quote(after_cursor)}{keep}",
                "before_cursor": before,
                "before_url": f"{link}{quote(before)}{keep}" if before else None,
                "end_of_stream": not more,
            },
            {},
        )

    def _in_scope(self, tid: int) -> bool:
        """`support_type_scope`: "all", "agent" or "ai_agent", default "agent": tickets
        handled by AI agents are exported only when asked for:
        https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/"""
        scope = self.query.get("support_type_scope", "agent")
        if scope not in ("all", "agent", "ai_agent"):
            raise bad_request("InvalidValue", "support_type_scope must be all, agent or ai_agent")
        by_ai = tid in self.sb.ai_agent_tickets
        return scope == "all" or by_ai == (scope == "ai_agent")

    def create(self) -> Response:
        """Create Ticket: `{"ticket": {...}}` -> 201 `{"ticket": ..., "audit": ...}`; "the
        only required property is comment"; "an audit object is generated and included in
        the response when you create or update a ticket":
        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket
        Audit events (Comment, Create) as in the audit events reference:
        https://developer.zendesk.com/documentation/ticketing/reference-guides/ticket-audit-events-reference/
        """
        ticket = self._json_body().get("ticket")
        if not isinstance(ticket, dict):
            raise bad_request("InvalidValue", "ticket is required")
        rec, events, audit_id = self.store.create(ticket, actor=ADMIN_ID)
        comment = next(e for e in events if e["type"] == "Comment")
        cid, _, body, _, _ = rec.added[0]
        comment.update(
            id=cid,
            html_body=f'<div class="zd-comment" dir="auto"><p dir="auto">{html.escape(body)}'
            "</p></div>",
            plain_body=body,
            attachments=[],
            audit_id=audit_id,
        )
        audit = {
            "id": audit_id,
            "ticket_id": rec.id,
            "created_at": iso(rec.created),
            "author_id": ADMIN_ID,  # the authenticated user made the request
            "metadata": {"system": {}, "custom": {}},
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "events": events,
        }
        return 201, {"ticket": ticket_json(rec, self.base), "audit": audit}, {}

    def list_tickets(self) -> Response:
        """List Tickets, offset pagination (`page`, `per_page` <= 100), by id ascending;
        `external_id` lists the tickets with exactly that external id ("External ids don't
        have to be unique for each ticket. As a result, the request may return multiple
        tickets with the same external id"):
        https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
        """
        page, per_page = self._offset_page()
        if "external_id" in self.query:
            recs = self.store.by_external_id(self.query["external_id"])
            total = len(recs)
            recs = recs[(page - 1) * per_page : page * per_page]
        else:
            ids = self.store.ticket_ids()
            total = len(ids)
            found = map(self.store.rec, ids[(page - 1) * per_page : page * per_page])
            recs = [r for r in found if r is not None]
        tickets, sideloads = [ticket_json(r, self.base) for r in recs], self._sideloads(recs)
        serve_zendesk(self.store.tampering, tickets, sideloads)
        keep = "".join(
            f"&{k}={quote(self.query[k])}" for k in ("external_id", "include") if k in self.query
        )
        link = f"{self.base}/api/v2/tickets.json?per_page={per_page}{keep}&page="
        return (
            200,
            {"tickets": tickets, **sideloads, **_offset_links(link, page, per_page, total)},
            {},
        )

    def show(self, tid: str) -> Response:
        rec = self.store.rec(int(tid))
        if rec is None:
            raise not_found()
        ticket, sideloads = ticket_json(rec, self.base), self._sideloads([rec])
        serve_zendesk(self.store.tampering, [ticket], sideloads)
        return 200, {"ticket": ticket, **sideloads}, {}

    def show_many(self) -> Response:
        recs = [r for r in map(self.store.rec, _ids(self.query.get("ids"))) if r is not None]
        tickets, sideloads = [ticket_json(r, self.base) for r in recs], self._sideloads(recs)
        serve_zendesk(self.store.tampering, tickets, sideloads)
        return (
            200,
            {
                "tickets": tickets,
                **sideloads,
                "next_page": None,
                "previous_page": None,
                "count": len(recs),
            },
            {},
        )

    def update(self, tid: str) -> Response:
        change = self._json_body().get("ticket")
        if not isinstance(change, dict):
            raise bad_request("InvalidValue", "ticket is required")
        # Only update_many knows additional_tags/remove_tags: a single PUT drops them.
        ignored = sorted(k for k in ("additional_tags", "remove_tags") if k in change)
        rec, events = self.store.update(int(tid), change, tag_ops=False)
        audit = {
            "id": events[0]["id"] if events else None,
            "ticket_id": rec.id,
            "created_at": iso(rec.updated),
            "author_id": ADMIN_ID,
            "metadata": {"system": {}, "custom": {}},
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "events": events,
        }
        headers = {"X-Zendesk-API-Warn": json.dumps({"removed_keys": ignored})} if ignored else {}
        return 200, {"ticket": ticket_json(rec, self.base), "audit": audit}, headers

    def update_many(self) -> Response:
        data = self._json_body()
        if "ids" in self.query:  # bulk: the same change for every id
            change = data.get("ticket")
            if not isinstance(change, dict):
                raise bad_request("InvalidValue", "ticket is required with ids")
            items = [(tid, change) for tid in _ids(self.query["ids"])]
        elif isinstance(data.get("tickets"), list):  # batch: one change per ticket
            if len(data["tickets"]) > MAX_MANY:
                raise bad_request("TooManyValues", f"You can specify up to {MAX_MANY} tickets")
            items = [
                (t.get("id"), {k: v for k, v in t.items() if k != "id"})
                for t in data["tickets"]
                if isinstance(t, dict)
            ]
        else:
            raise bad_request("InvalidValue", "ids with a ticket, or a tickets array, is required")
        job_id = self.store.create_job(items)
        self.sb.enqueue_job(job_id)
        return 200, {"job_status": self._job_json(self.store.job(job_id) or {})}, {}

    def _job_json(self, job: Json) -> Json:
        return {
            "id": job["id"],
            "url": f"{self.base}/api/v2/job_statuses/{job['id']}.json",
            **{k: job[k] for k in ("status", "total", "progress", "message", "results")},
        }

    def job(self, job_id: str) -> Response:
        job = self.store.job(job_id)
        if job is None:
            raise not_found()
        return 200, {"job_status": self._job_json(job)}, {}

    def jobs(self) -> Response:
        ids = [i for i in self.query.get("ids", "").split(",") if i][:MAX_MANY]
        found = [j for j in map(self.store.job, ids) if j is not None]
        return 200, {"job_statuses": [self._job_json(j) for j in found]}, {}

    def recent_jobs(self) -> Response:
        """List Job Statuses, cursor-paginated (`page[size]` ≤ 100, `page[after]`):
        https://developer.zendesk.com/api-reference/ticketing/ticket-management/job_statuses/"""
        try:
            size = min(max(int(self.query.get("page[size]", 100)), 1), 100)
            start = int(self.query.get("page[after]", "j0").removeprefix("j"))
        except ValueError:
            raise bad_request("InvalidPaginationParameter", "page[size] or page[after]") from None
        every = self.store.recent_jobs()
        rows, more = every[start : start + size], start + size < len(every)
        after = f"j{start + size}" if more else None
        return (
            200,
            {
                "job_statuses": [self._job_json(j) for j in rows],
                "meta": {"has_more": more, "after_cursor": after, "before_cursor": f"j{start}"},
                "links": {"next": None, "prev": None},
            },
            {},
        )

    def comments(self, tid: str) -> Response:
        comments = comments_json(self.store, int(tid))
        if comments is None:
            raise not_found()
        if self.query.get("sort_order") == "desc":
            comments.reverse()
        try:
            page = max(int(self.query.get("page", 1)), 1)
            per_page = min(max(int(self.query.get("per_page", 100)), 1), 100)
        except ValueError:
            raise bad_request("InvalidValue", "page and per_page must be integers") from None
        link = f"{self.base}/api/v2/tickets/{tid}/comments.json?per_page={per_page}&page="
        return (
            200,
            {
                "comments": comments[(page - 1) * per_page : page * per_page],
                "next_page": f"{link}{page + 1}" if page * per_page < len(comments) else None,
                "previous_page": f"{link}{page - 1}" if page > 1 else None,
                "count": len(comments),
            },
            {},
        )

    def metrics(self, tid: str) -> Response:
        rec = self.store.rec(int(tid))
        if rec is None:
            raise not_found()
        return 200, {"ticket_metric": metric_json(rec, self.base)}, {}

    def groups(self) -> Response:
        """List Groups with cursor pagination (`page[size]`, `page[after]`)."""
        try:
            size = min(max(int(self.query.get("page[size]", 100)), 1), 100)
            start = int(self.query.get("page[after]", "g0").removeprefix("g"))
        except ValueError:
            raise bad_request("InvalidPaginationParameter", "page[size] or page[after]") from None
        created = int(self.sb.now.timestamp()) - 400 * 86_400
        every = [group_json(i, self.base, created) for i in range(len(GROUP_NAMES))]
        rows, more = every[start : start + size], start + size < len(every)
        after = f"g{start + size}" if more else None
        link = f"{self.base}/api/v2/groups.json?page%5Bsize%5D={size}&page%5Bafter%5D="
        return (
            200,
            {
                "groups": rows,
                "meta": {"has_more": more, "after_cursor": after, "before_cursor": f"g{start}"},
                "links": {"next": f"{link}{after}" if more else None, "prev": None},
            },
            {},
        )

    def users(self) -> Response:
        """List Users, by id; `role` ("end-user", "agent", "admin") and `role[]` ("Filters
        the results by more than one role using the format role[]={role}&role[]={role}")
        keep the users with those roles (how the two combine is not documented: here, any
        of them). Cursor pagination with `page[size]` (at most 100: "Returns a maximum of
        100 records per page"), `page[after]`; `meta.has_more` only when asked for with
        `include_boundary_indicators=true` ("When true, includes has_more indicator in the
        cursor pagination response meta"). Without `page[size]`, offset pagination
        (`page`, `per_page`), which refuses to go past the first 10,000 records:
        https://developer.zendesk.com/api-reference/ticketing/users/users/#list-users
        https://developer.zendesk.com/api-reference/introduction/pagination/
        https://support.zendesk.com/hc/en-us/articles/5591904358938"""
        wanted = self.lists.get("role[]", []) + self.lists.get("role", [])
        roles = set(wanted) if wanted else None
        if "page[size]" not in self.query:
            return self._users_by_offset(roles)
        try:
            size = min(max(int(self.query["page[size]"]), 1), 100)
        except ValueError:
            raise bad_request(
                "InvalidPaginationParameter", "page[size] must be an integer"
            ) from None
        after = _user_cursor(self.query["page[after]"]) if "page[after]" in self.query else 0
        ids, _ = self.store.user_ids(roles, after, size + 1)
        rows, more = ids[:size], len(ids) > size
        users = [u for u in (user_json(self.store, i, self.base) for i in rows) if u is not None]
        after_cursor = _user_cursor_of(rows[-1]) if rows else None
        meta: Json = {
            "after_cursor": after_cursor,
            "before_cursor": _user_cursor_of(rows[0]) if rows else None,
        }
        if self.query.get("include_boundary_indicators") == "true":
            meta = {"has_more": more, **meta}
        link = f"{self.base}/api/v2/users.json?page%5Bsize%5D={size}{self._roles_kept()}"
        return (
            200,
            {
                "users": users,
                "meta": meta,
                "links": {
                    "next": f"{link}&page%5Bafter%5D={quote(after_cursor)}"
                    if more and after_cursor
                    else None,
                    "prev": None,
                },
            },
            {},
        )

    def _users_by_offset(self, roles: set[str] | None) -> Response:
        page, per_page = self._offset_page()
        if page * per_page > 10_000:
            raise bad_request(
                "InvalidPaginationParameter",
                "Offset pagination is limited to the first 10,000 records: use cursor pagination",
            )
        ids, total = self.store.user_ids(roles, 0, page * per_page)
        ids = ids[(page - 1) * per_page :]
        users = [u for u in (user_json(self.store, i, self.base) for i in ids) if u is not None]
        link = f"{self.base}/api/v2/users.json?per_page={per_page}{self._roles_kept()}&page="
        return 200, {"users": users, **_offset_links(link, page, per_page, total)}, {}

    def _offset_page(self) -> tuple[int, int]:
        """Offset pagination's `page` (from 1) and `per_page` (1..100) of this request."""
        try:
            page = max(int(self.query.get("page", 1)), 1)
            per_page = min(max(int(self.query.get("per_page", 100)), 1), 100)
        except ValueError:
            raise bad_request(
                "InvalidPaginationParameter", "page and per_page must be integers"
            ) from None
        return page, per_page

    def _roles_kept(self) -> str:
        """The role filters of this request, for its `next` links."""
        return "".join(
            f"&{quote(k)}={quote(v)}" for k in ("role[]", "role") for v in self.lists.get(k, [])
        )

    def user(self, uid: str) -> Response:
        user = user_json(self.store, ADMIN_ID if uid == "me" else int(uid), self.base)
        if user is None:
            raise not_found()
        return 200, {"user": user}, {}


def _user_cursor_of(uid: int) -> str:
    """The cursor of the position after user `uid`: opaque to clients, base64 here."""
    return base64.urlsafe_b64encode(json.dumps({"o": "id", "v": uid}).encode()).decode()


def _user_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(data["v"])
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise bad_request("InvalidPaginationParameter", "The cursor is invalid") from None


def _offset_links(link: str, page: int, per_page: int, total: int) -> dict[str, object]:
    """Offset pagination's `next_page`, `previous_page` and `count`; `link` ends in
    "page=" (https://developer.zendesk.com/api-reference/introduction/pagination/)."""
    return {
        "next_page": f"{link}{page + 1}" if page * per_page < total else None,
        "previous_page": f"{link}{page - 1}" if page > 1 else None,
        "count": total,
    }
