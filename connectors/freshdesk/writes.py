"""Writing to Freshdesk without ever dropping a tag an agent set.

Freshdesk replaces a ticket's whole tag list on update (and, we assume, on
`bulk_update`), and has no conditional update. So a ticket whose tags change is
written on its own, at most three requests whatever the rules decided:

1. `GET /api/v2/tickets/{id}`, right before the write. This read stays: the tags from
   the page were read up to minutes ago, and writing them back would drop a tag an
   agent added since; read now, the window shrinks to the milliseconds between this
   read and the `PUT`.
2. One `PUT /api/v2/tickets/{id}` with the merged tags (the agent's kept, ours added,
   our SLA state tags taken off), priority, group and status. No read follows it: the
   `PUT` answers with the ticket as saved, which shows our tags (a read a few
   milliseconds later could not catch an agent's form saved seconds later anyway). If
   the answer lacks them, a concurrent edit replaced the list: read, merge, write again.
3. At most one private note (`POST /api/v2/tickets/{id}/notes`), the rules' notes
   combined.

Priority and group changes without tags are safe in bulk: `POST
/api/v2/tickets/bulk_update` jobs. A reopen sets status 2 (Open).

A note is the one write that is not idempotent: when its answer is lost (reset, cut
short, 5xx, timeout) it may be on the ticket already, so the ticket's conversations are
read for its ref before it is posted again (`_post_note`).
"""

from __future__ import annotations

import html
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from care.domain.model import Priority
from connectors.base import ApplyReport, Change, Jobs, Submission
from connectors.errors import HelpdeskError, MalformedRecord, OutcomeUnknown
from connectors.freshdesk import endpoints as ep
from connectors.http import HelpdeskHttp

log = logging.getLogger("care.freshdesk")
PRIORITY_CODES = {Priority.LOW: 1, Priority.NORMAL: 2, Priority.HIGH: 3, Priority.URGENT: 4}
TAG_WRITE_ATTEMPTS = 3
LOST_ANSWER_ROUNDS = 3  # a note whose answer is lost: look, then post it if missing
LOST_GRACE_S = 5.0  # after a timeout, the time a late request gets to reach Freshdesk
# GET /api/v2/jobs/{id}: Freshdesk's server reports QUEUED and IN_PROGRESS while a job
# runs, then SUCCESS, PARTIAL (some items failed) or FAILED (BulkApiJobsHelper's
# BULK_API_JOB_STATUSES in its public server code); COMPLETED and "IN PROGRESS" are the
# words of older docs' examples, read as well.
JOB_RUNNING = {"QUEUED", "IN_PROGRESS"}
JOB_FINISHED = {"SUCCESS", "PARTIAL", "FAILED", "COMPLETED"}
OPEN = 2  # Freshdesk's status code for Open


def submit(http: HelpdeskHttp, changes: Sequence[Change]) -> Submission:
    submission = Submission()
    by_ticket: dict[str, list[Change]] = defaultdict(list)
    bulk: dict[tuple[str | None, str | None, bool], list[Change]] = defaultdict(list)
    for change in changes:
        if change.add_tags or change.remove_tags or change.note:
            by_ticket[change.ticket_id].append(change)
        elif change.changes_fields:
            bulk[(change.set_priority, change.set_group, change.reopen)].append(change)
    for ticket_id, ticket_changes in by_ticket.items():
        _write_ticket(http, ticket_id, ticket_changes, submission.settled)
    for (priority, group, reopen), group_changes in bulk.items():
        for start in range(0, len(group_changes), ep.PAGE_SIZE):
            chunk = group_changes[start : start + ep.PAGE_SIZE]
            properties = _fields(priority, group, reopen)
            body = {
                "bulk_action": {"ids": [int(c.ticket_id) for c in chunk], "properties": properties}
            }
            job = http.post(ep.BULK_UPDATE, body, idempotent=True)  # the same fields again
            submission.jobs[str(job["job_id"])] = {c.ticket_id: [c.ref] for c in chunk}
    return submission


def settle(http: HelpdeskHttp, jobs: Jobs) -> tuple[ApplyReport, Jobs]:
    """One look at each job: results of the finished ones, the rest still running."""
    report, running = ApplyReport(), {}
    for job_id, by_ticket in jobs.items():
        status = http.get(ep.JOB.format(id=job_id), kind="job_polls")
        state = str(status.get("status") or "").strip().upper().replace(" ", "_")
        if state not in JOB_FINISHED:
            if state not in JOB_RUNNING:
                log.warning("Freshdesk job %s reports status %r: still waiting", job_id, state)
            running[job_id] = by_ticket
            continue
        report.applied.extend(_job_outcome(job_id, state, status, by_ticket, report.failed))
    return report, running


def _job_outcome(
    job_id: str,
    state: str,
    status: dict[str, Any],
    by_ticket: dict[str, list[int]],
    failed: dict[int, str],
) -> list[int]:
    """The refs a finished job applied; the others go into `failed` with why. Per-ticket
    results are read from `data` (the API docs) or `payload` (the server), tolerantly:
    a job that succeeded as a whole applied every ticket it does not say otherwise of."""
    items = status.get("data") or status.get("payload") or ()
    results = {
        str(item.get("id")): item for item in items if isinstance(item, dict) and "id" in item
    }
    applied: list[int] = []
    for ticket_id, refs in by_ticket.items():
        item = results.get(ticket_id)
        whole = state == "SUCCESS"
        ok = item.get("success", whole) is True if item is not None else whole
        if ok and state != "FAILED":
            applied.extend(refs)
            continue
        why = (item or {}).get("error") or (item or {}).get("errors")
        if not why:
            why = f"job {job_id} {state.lower()}" if state == "FAILED" else "no result in job"
        failed.update(dict.fromkeys(refs, f"ticket {ticket_id}: {why}"))
    return applied


def _write_ticket(
    http: HelpdeskHttp, ticket_id: str, changes: list[Change], report: ApplyReport
) -> None:
    try:
        notes = [c for c in changes if c.note]
        posted = conversation_text(http, ticket_id) if any(c.job_id for c in notes) else ""
        fields = _merge_fields(changes)
        if any(c.changes_fields for c in changes):
            _write_tags(http, ticket_id, fields)
        for change in notes:
            if change.job_id and _marker(change) in posted:
                continue  # an interrupted attempt did post it: never twice
            _post_note(http, ticket_id, change)
        report.applied.extend(c.ref for c in changes)
    except OutcomeUnknown:
        raise  # not "failed": a retry must look for the note before posting it again
    except HelpdeskError as exc:
        report.failed.update(dict.fromkeys((c.ref for c in changes), str(exc)))


def _post_note(http: HelpdeskHttp, ticket_id: str, change: Change) -> None:
    post_note_once(
        http, ticket_id, change.note or "", private=not change.note_public, marker=_marker(change)
    )


def post_note_once(
    http: HelpdeskHttp, ticket_id: str, text: str, private: bool, marker: str
) -> None:
    """Post a note once: after a lost answer, only if the ticket does not show `marker`."""
    body = {"body": note_html(text), "private": private}
    for _ in range(LOST_ANSWER_ROUNDS):
        try:
            http.post(ep.NOTES.format(id=ticket_id), body)
            return
        except OutcomeUnknown as exc:
            if exc.timed_out:  # the request may still be on its way in
                time.sleep(LOST_GRACE_S)
            if marker in conversation_text(http, ticket_id):
                return
    raise OutcomeUnknown(
        f"ticket {ticket_id}: posting a note lost its answer {LOST_ANSWER_ROUNDS} times; "
        "the next attempt looks for it first"
    )


def _marker(change: Change) -> str:
    """What shows a note is on the ticket: its ref, else its last line."""
    return change.note_ref or (change.note or "").strip().rsplit("\n", 1)[-1] or "\0"


def _merge_fields(changes: list[Change]) -> dict[str, Any]:
    tags: set[str] = set().union(*(c.add_tags for c in changes))
    remove: set[str] = set().union(*(c.remove_tags for c in changes)) - tags
    priorities = [c.set_priority for c in changes if c.set_priority]
    groups = [c.set_group for c in changes if c.set_group]
    return {
        "tags": tags,
        "remove": remove,
        "priority": max(priorities, key=lambda p: p.rank) if priorities else None,
        "group": groups[-1] if groups else None,
        "reopen": any(c.reopen for c in changes),
    }


def _write_tags(http: HelpdeskHttp, ticket_id: str, fields: dict[str, Any]) -> None:
    """Read, merge, write: an agent's tag is never dropped by our write (see the module)."""
    wanted: set[str] = fields["tags"]
    remove: set[str] = fields["remove"]
    for _ in range(TAG_WRITE_ATTEMPTS):
        current = http.get(ep.TICKET.format(id=ticket_id))
        tags = list(current.get("tags") or [])
        body = _fields(fields["priority"], fields["group"], fields["reopen"])
        if not wanted <= set(tags) or remove & set(tags):
            kept = [t for t in tags if t not in remove]
            body["tags"] = kept + sorted(wanted - set(kept))
        if not body:
            return
        saved = http.put(ep.TICKET.format(id=ticket_id), body)
        shown = set(saved.get("tags") or ()) if isinstance(saved, dict) else set()
        if "tags" not in body or (wanted <= shown and not remove & shown):
            return
    raise HelpdeskError(f"ticket {ticket_id}: tags kept being replaced by a concurrent edit")


def _fields(
    priority: Priority | str | None, group: str | None, reopen: bool = False
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if priority:
        body["priority"] = PRIORITY_CODES[Priority(priority)]
    if group:
        body["group_id"] = int(group) if str(group).isdigit() else group
    if reopen:
        body["status"] = OPEN
    return body


def note_html(text: str) -> str:
    """A plain-text note as the HTML Freshdesk's `body` is: escaped, line breaks kept
    (a customer's comment may hold markup, and notes are read line by line)."""
    return "<div>" + html.escape(text, quote=False).replace("\n", "<br>") + "</div>"


def conversations(http: HelpdeskHttp, ticket_id: str) -> list[Any]:
    """Every conversation of a ticket (replies and notes), oldest first, 100 a request."""
    return every_page(http, ep.CONVERSATIONS.format(id=ticket_id), ep.CONVERSATION_PAGE_SIZE)


def every_page(
    http: HelpdeskHttp, path: str, per_page: int, max_pages: int | None = None
) -> list[Any]:
    """All rows of a `page`/`per_page` list endpoint: pages until a short one (the
    `link` header "will not be set" on the last page, and a full last page costs one
    request more: https://developers.freshdesk.com/api/#pagination), or `max_pages`."""
    found: list[Any] = []
    page = 1
    while True:
        batch = http.get(path, {"page": page, "per_page": per_page})
        if not isinstance(batch, list):
            raise MalformedRecord(f"{path} answered {type(batch).__name__}, not an array")
        found.extend(batch)
        if len(batch) < per_page:
            return found
        if max_pages is not None and page >= max_pages:
            log.warning("%s still full after %d pages; the rest is left unread", path, page)
            return found
        page += 1


def conversation_text(http: HelpdeskHttp, ticket_id: str) -> str:
    bodies = (c.get("body_text") or c.get("body") or "" for c in conversations(http, ticket_id))
    return "\n".join(str(body) for body in bodies)
