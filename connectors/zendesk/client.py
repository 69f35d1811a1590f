"""`ZendeskHelpdesk`: the Helpdesk protocol over the Zendesk Support API."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from care.domain.model import Ticket
from care.domain.text import clean_line
from connectors.base import (
    UNCONFIRMED_JOB,
    Account,
    ApplyReport,
    Change,
    Jobs,
    NewTicket,
    Page,
    RequestStats,
    Skipped,
    Submission,
    apply_and_wait,
)
from connectors.errors import AuthError, MalformedRecord, NotFound, OutcomeUnknown
from connectors.http import Credentials, HelpdeskHttp, make_session
from connectors.unreadable import set_aside
from connectors.zendesk import create
from connectors.zendesk import endpoints as ep
from connectors.zendesk.jobs import (
    JOB_POLL_MAX_S,
    JOB_POLL_START_S,
    job_failures,
    job_refs,
    job_statuses,
    jobs_drained,
    ticket_succeeded,
)
from connectors.zendesk.mapping import to_ticket
from connectors.zendesk.writes import Call, has_effect, needs_base, plan_calls

log = logging.getLogger("care.zendesk")

JOB_TIMEOUT_S = 600.0
LOST_ANSWER_ROUNDS = 3  # a notes batch whose answer is lost: look, then send what is missing
LOST_WAIT_S = 120.0  # longest wait for queued jobs before leaving the notes to the next run
RECOVER_WAIT_S = 10.0  # the same, for a crashed run's writes (minutes old by now)
LOST_GRACE_S = 5.0  # after a timeout, the time a late request gets to reach Zendesk
CONFLICT = "UpdateConflict"  # a safe_update item refused: the ticket changed since it was read
CONFLICT_ROUNDS = 3  # reads again of one ticket an agent keeps editing, before a retry later


class ZendeskHelpdesk:
    def __init__(
        self,
        base_url: str,
        credentials: Credentials | Callable[[Any], Credentials],
        *,
        name: str = "zendesk",
        per_page: int = ep.EXPORT_PAGE_SIZE,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.stats = RequestStats()
        self._agent_id: str | None = None  # who authors the tickets CARE opens
        self._session = make_session()
        creds = credentials(self._session) if callable(credentials) else credentials
        if share := getattr(creds, "share", None):  # token requests count and wait with ours
            share(self.stats, sleep)
        self.http = HelpdeskHttp(
            "Zendesk", self.base_url, creds, self._session, self.stats, timeout=timeout, sleep=sleep
        )
        self._per_page = per_page
        self._sleep = sleep
        self._clock = clock
        self._in_flight: dict[int, Change] = {}  # submitted, not settled: rebuilt on a conflict
        self._conflicts: Counter[int] = Counter()

    # -- reads ---------------------------------------------------------------

    def whoami(self) -> Account:
        """The user behind the credential (`GET /api/v2/users/me`). With an OAuth client
        this also proves the token exchange. Raises `AuthError` naming the variables."""
        user = self.http.get(ep.USERS_ME).get("user") or {}
        if user.get("id") is None:  # Zendesk's answer to a caller it did not authenticate
            raise AuthError(f"Zendesk answered {ep.USERS_ME} for an anonymous user")
        return Account(
            id=str(user["id"]),
            name=str(user.get("name") or ""),
            email=user.get("email"),
            role=user.get("role"),
        )

    def create_ticket(self, new: NewTicket) -> str:
        if self._agent_id is None:  # the first comment's author: the agent behind us
            self._agent_id = self.whoami().id
        return create.create_ticket(self.http, new, self._agent_id)

    def find_created(self, new: NewTicket) -> str | None:
        return create.find_created(self.http, new)

    def group_names(self) -> dict[str, str]:
        """Group id -> name (`GET /api/v2/groups`, cursor-paginated: one request per 100)."""
        return {
            str(group["id"]): clean_line(str(group.get("name") or ""))
            for group in self._every_row(ep.GROUPS, "groups", {}, ep.GROUPS_PAGE_SIZE)
            if group.get("id") is not None
        }

    def agent_names(self) -> dict[str, str]:
        """User id -> display name of every agent and admin (`GET /api/v2/users` with
        `role[]=agent&role[]=admin`, cursor-paginated: one request per 100); end users are
        never listed, and a nameless user is left out."""
        params = {"role[]": list(ep.STAFF_ROLES), "include_boundary_indicators": "true"}
        names: dict[str, str] = {}
        for user in self._every_row(ep.USERS, "users", params, ep.USERS_PAGE_SIZE):
            if user.get("id") is None or user.get("role") == "end-user":
                continue
            if name := clean_line(str(user.get("name") or "")):
                names[str(user["id"])] = name
        return names

    def _every_row(
        self, path: str, key: str, params: dict[str, Any], size: int
    ) -> list[dict[str, Any]]:
        """The rows of a cursor-paginated list (`page[size]`, `page[after]`), page after
        page while `meta.has_more` says so (without it: while `links.next` does), up to
        `NAMES_MAX_PAGES`; a cursor that does not move or a page with no rows ends it.
        https://developer.zendesk.com/api-reference/introduction/pagination/"""
        rows: list[dict[str, Any]] = []
        query: dict[str, Any] = {**params, "page[size]": size}
        for _ in range(ep.NAMES_MAX_PAGES):
            body = self.http.get(path, query)
            page = [row for row in _listed(body.get(key)) if isinstance(row, dict)]
            rows.extend(page)
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            links = body.get("links") if isinstance(body.get("links"), dict) else {}
            more = meta["has_more"] is True if "has_more" in meta else bool(links.get("next"))
            after = meta.get("after_cursor")
            if not more or not after or not page:
                return rows
            if after == query.get("page[after]"):
                log.warning("Zendesk returned the same cursor again for %s; stopping", path)
                return rows
            query = {**params, "page[size]": size, "page[after]": after}
        log.warning(
            "%s still had more after %d pages of %d; the rest is left unread",
            path,
            ep.NAMES_MAX_PAGES,
            size,
        )
        return rows

    def read_page(self, cursor: str | None, start: datetime) -> Page:
        params: dict[str, Any] = {
            "per_page": self._per_page,
            "include": ep.EXPORT_SIDELOADS,
            "exclude_deleted": "true",
            "support_type_scope": ep.EXPORT_SCOPE,
        }
        if cursor:
            params["cursor"] = cursor
        else:
            latest = self._clock() - timedelta(seconds=ep.EXPORT_MIN_AGE_S + 1)
            params["start_time"] = int(min(start, latest).timestamp())
        body = self.http.get(ep.INCREMENTAL_TICKETS, params)
        tickets, skipped = self._map_page(body)
        after = body.get("after_cursor") or cursor or ""
        end = bool(body.get("end_of_stream")) or not body.get("after_cursor")
        if cursor and after == cursor and not end:
            log.warning("Zendesk returned the same cursor again; treating the stream as caught up")
            end = True
        return Page(tickets=tickets, skipped=skipped, cursor=after, end_of_stream=end)

    def _map_page(self, body: dict[str, Any]) -> tuple[list[Ticket], list[Skipped]]:
        users = _by_id(body.get("users"), "id")
        metrics = _by_id(body.get("metric_sets"), "ticket_id")
        latest: dict[str, Ticket] = {}  # a ticket changed twice can appear twice: keep the last
        skipped: list[Skipped] = []
        for raw in _listed(body.get("tickets")):
            try:
                if not isinstance(raw, dict):
                    raise MalformedRecord(f"ticket is {type(raw).__name__}, not an object")
                if raw.get("status") == "deleted":
                    continue
                ticket_id = raw.get("id")
                metric = metrics.get(ticket_id) if isinstance(ticket_id, int) else None
                metric = metric or raw.get("metric_set")
                ticket = to_ticket(raw, users, metric, helpdesk=self.name, base_url=self.base_url)
            except Exception as exc:  # one record, whatever is wrong with it (see set_aside)
                skipped.append(set_aside(raw, exc))
                continue
            latest[ticket.id] = ticket
        return list(latest.values()), skipped

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self.tickets([ticket_id]).get(ticket_id)

    def tickets(self, ticket_ids: Sequence[str]) -> dict[str, Ticket | None]:
        """Tickets as they are now, 100 per request (None: deleted or gone)."""
        found: dict[str, Ticket | None] = dict.fromkeys(ticket_ids)
        ids = list(found)
        for start in range(0, len(ids), ep.SHOW_MANY_MAX_IDS):
            chunk = ids[start : start + ep.SHOW_MANY_MAX_IDS]
            params = {"ids": ",".join(chunk), "include": "users,metric_sets"}
            tickets, skipped = self._map_page(self.http.get(ep.SHOW_MANY, params))
            for skip in skipped:
                log.warning("ticket %s could not be read: %s", skip.ticket_id, skip.reason)
            found.update({t.id: t for t in tickets if t.id in found})
        return found

    def notejob_refs(self, ticket_id: str) -> str:
        """All comment bodies of a ticket, joined: to find our own notes after a crash."""
        bodies: list[str] = []
        path: str | None = ep.TICKET_COMMENTS.format(id=ticket_id)
        while path:
            body = self.http.get(path)
            bodies.extend(str(c.get("body") or "") for c in body.get("comments") or ())
            path = body.get("next_page")
        return "\n".join(bodies)

    # -- writes --------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> ApplyReport:
        return apply_and_wait(self, changes)

    def ready(self, changes: Sequence[Change], flush: bool) -> tuple[list[Change], list[Change]]:
        """Changes go out 100 at a time, one batch call: fewer wait for the next page,
        unless `flush`."""
        if flush:
            return list(changes), []
        full = len(changes) - len(changes) % ep.UPDATE_MANY_MAX_IDS
        return list(changes[:full]), list(changes[full:])

    def submit(self, changes: Sequence[Change]) -> Submission:
        """Send the changes as batch jobs, one item per ticket, without waiting for them."""
        self._in_flight.update((c.ref, c) for c in changes)
        submission = self._recover(changes)
        for call in plan_calls(self._based(submission.resend, submission)):
            self._send(call, submission)
        submission.resend = []
        for ref in [*submission.settled.applied, *submission.settled.failed]:
            self._in_flight.pop(ref, None)  # settled at once: no job to follow
        return submission

    def _based(self, changes: Sequence[Change], submission: Submission) -> list[Change]:
        """The changes with the tags they change read first where this run has not read
        the ticket (a request per 100); those that would change nothing are done."""
        unread = sorted({c.ticket_id for c in changes if needs_base(c)})
        fresh = self.tickets(unread) if unread else {}
        based: list[Change] = []
        for change in changes:
            if needs_base(change):
                ticket = fresh.get(change.ticket_id)
                if ticket is None:
                    submission.settled.failed[change.ref] = f"ticket {change.ticket_id} not found"
                    continue
                change = replace(change, base_tags=ticket.tags, stamp=ticket.updated_at)
                self._in_flight[change.ref] = change
            if has_effect(change):
                based.append(change)
            else:
                submission.settled.applied.append(change.ref)  # the ticket already shows it
        return based

    def _send(self, call: Call, submission: Submission) -> None:
        """One update_many call, its job added to `submission`.

        A batch with notes whose answer was lost (reset, cut, 5xx, timeout) may have been
        queued all the same: it is never sent again blind. Once no job of the account is
        still to run, each ticket's comments tell which notes are there (by their ref);
        only the items whose note is missing go again, with the items without a note
        (their whole tag list under `safe_update` cannot apply twice).
        """
        last: OutcomeUnknown | None = None
        for _ in range(LOST_ANSWER_ROUNDS):
            try:
                body = self.http.put(
                    ep.UPDATE_MANY, call.body, call.params, idempotent=not call.notes
                )
            except OutcomeUnknown as exc:
                last = exc
                log.warning("%s: looking for the notes before sending any again", exc)
                missing = self._notes_missing(call.notes, after_timeout=exc.timed_out)
                in_jobs = job_refs(submission.jobs.values())
                submission.settled.applied.extend(
                    c.ref for c in call.notes if c not in missing and c.ref not in in_jobs
                )
                rest = missing + [c for c in call.changes if c.note is None]
                if not rest:
                    return
                (call,) = plan_calls(rest)  # each ticket once: one call
                continue
            job = submission.jobs.setdefault(str(body["job_status"]["id"]), {})
            for ticket_id, refs in call.refs_by_ticket.items():
                job.setdefault(ticket_id, []).extend(refs)
            return
        raise OutcomeUnknown(
            f"Zendesk: update_many lost its answer {LOST_ANSWER_ROUNDS} times (last: {last}); "
            "the notes not shown yet are looked for again before the next attempt"
        )

    def _notes_missing(self, notes: Sequence[Change], after_timeout: bool) -> list[Change]:
        """The notes a ticket does not show once every queued job has run."""
        if after_timeout:  # the request may still be on its way in: let it arrive first
            self._sleep(LOST_GRACE_S)
        if not jobs_drained(self.http, self._sleep, LOST_WAIT_S):
            raise OutcomeUnknown(
                f"Zendesk jobs still running after {LOST_WAIT_S:.0f} s: the notes of a "
                "write whose answer was lost are looked for again on the next attempt"
            )
        return [c for c in notes if not self._shows(c)]

    def _shows(self, change: Change) -> bool:
        marker = change.note_ref or (change.note or "").strip().rsplit("\n", 1)[-1]
        try:
            return bool(marker) and marker in self.notejob_refs(change.ticket_id)
        except NotFound:  # sent again, its job item fails and says why
            return False

    def settle(self, jobs: Jobs, wait: bool) -> tuple[ApplyReport, Jobs]:
        """Results of the finished jobs; with `wait`, poll until all have finished.

        A change refused because the ticket changed since it was read (409
        `UpdateConflict` under `safe_update`: an agent's edit) is read again, rebuilt on
        the ticket as it is and sent again, up to `CONFLICT_ROUNDS` times: never an
        overwrite. Returns the report and the jobs still running.
        """
        outstanding = dict(jobs)
        report = ApplyReport()
        delay, waited = JOB_POLL_START_S, 0.0
        while outstanding:
            finished = {
                str(s["id"]): s
                for s in job_statuses(self.http, list(outstanding), finished_only=True)
                if str(s["id"]) in outstanding
            }
            conflicted: list[Change] = []
            for job_id, status in finished.items():
                by_ticket = outstanding.pop(job_id)
                failures = job_failures(status, by_ticket)
                for ref, why in list(failures.items()):
                    change = self._in_flight.get(ref)
                    if CONFLICT in why and change and self._conflicts[ref] < CONFLICT_ROUNDS:
                        self._conflicts[ref] += 1
                        conflicted.append(replace(change, base_tags=None, stamp=None, job_id=None))
                        del failures[ref]
                again = {c.ref for c in conflicted}
                report.failed.update(failures)
                report.applied.extend(
                    r for r in job_refs([by_ticket]) if r not in failures and r not in again
                )
            if conflicted:
                log.info("%d tickets changed since they were read: read again", len(conflicted))
                resent = self.submit(conflicted)
                report.applied.extend(resent.settled.applied)
                report.failed.update(resent.settled.failed)
                outstanding.update(resent.jobs)
            if not wait or not outstanding:
                break
            if waited > JOB_TIMEOUT_S:
                for job_id, by_ticket in outstanding.items():
                    for ref in job_refs([by_ticket]):
                        report.failed[ref] = f"job {job_id} timed out"
                outstanding = {}
                break
            self._sleep(delay)
            waited += delay
            delay = min(JOB_POLL_MAX_S, delay * 2)
        applied = sorted(set(report.applied) - report.failed.keys())
        for ref in [*applied, *report.failed]:
            self._in_flight.pop(ref, None)
            self._conflicts.pop(ref, None)
        return ApplyReport(applied=applied, failed=report.failed), outstanding

    def _recover(self, changes: Sequence[Change]) -> Submission:
        """Changes from an interrupted attempt: settle them from their job, never write twice.

        A job still running is followed, not re-sent; a job Zendesk no longer knows is
        re-sent for its tags and fields (adding a tag twice changes nothing), but a note
        is re-sent only if the ticket does not already show it.
        """
        submission = Submission(resend=[c for c in changes if not c.job_id])
        resumed = [c for c in changes if c.job_id]
        if not resumed:
            return submission
        job_ids = sorted({c.job_id for c in resumed if c.job_id and c.job_id != UNCONFIRMED_JOB})
        statuses = (
            {str(s["id"]): s for s in job_statuses(self.http, job_ids, finished_only=False)}
            if job_ids
            else {}
        )
        if any(c.note and c.job_id not in statuses for c in resumed):
            jobs_drained(
                self.http, self._sleep, RECOVER_WAIT_S
            )  # its notes show once a queued job ran
        for change in resumed:
            status = statuses.get(change.job_id or "")
            state = (status or {}).get("status")
            if status is not None and state not in ep.JOB_DONE_STATES:
                job = submission.jobs.setdefault(str(status["id"]), {})
                job.setdefault(change.ticket_id, []).append(change.ref)
            elif (status is not None and ticket_succeeded(status, change.ticket_id)) or (
                change.note
                and change.note_ref
                and change.note_ref in self.notejob_refs(change.ticket_id)
            ):
                submission.settled.applied.append(change.ref)  # done before: never twice
            else:
                submission.resend.append(change)
        return submission

    def close(self) -> None:
        self._session.close()


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _by_id(records: Any, key: str) -> dict[int, Any]:
    """A sideload by its records' integer ids; entries of another shape (a null, a list)
    are left out, so the tickets they belong to read as having none."""
    return {
        r[key]: r for r in _listed(records) if isinstance(r, dict) and isinstance(r.get(key), int)
    }
