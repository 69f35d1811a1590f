"""`ZendeskHelpdesk`: the Helpdesk protocol over the Zendesk Support API."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from care.model import Ticket
from connectors.base import ApplyReport, Change, OnSubmitted, Page, RequestStats, Skipped
from connectors.errors import MalformedRecord, NotFound
from connectors.zendesk import endpoints as ep
from connectors.zendesk.auth import Credentials
from connectors.zendesk.http import ZendeskHttp, make_session
from connectors.zendesk.mapping import to_ticket
from connectors.zendesk.writes import Call, plan_calls

log = logging.getLogger("care.zendesk")

MAX_JOBS_IN_FLIGHT = 30
JOB_POLL_START_S = 0.05
JOB_POLL_MAX_S = 2.0
JOB_TIMEOUT_S = 600.0


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
        self._session = make_session()
        creds = credentials(self._session) if callable(credentials) else credentials
        self.http = ZendeskHttp(
            self.base_url, creds, self._session, self.stats, timeout=timeout, sleep=sleep
        )
        self._per_page = per_page
        self._sleep = sleep
        self._clock = clock

    # -- reads ---------------------------------------------------------------

    def read_page(self, cursor: str | None, start: datetime) -> Page:
        params: dict[str, Any] = {
            "per_page": self._per_page,
            "include": ep.EXPORT_SIDELOADS,
            "exclude_deleted": "true",
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
        users = {u.get("id"): u for u in body.get("users") or ()}
        metrics = {m.get("ticket_id"): m for m in body.get("metric_sets") or ()}
        latest: dict[str, Ticket] = {}  # a ticket changed twice can appear twice: keep the last
        skipped: list[Skipped] = []
        for raw in body.get("tickets") or ():
            try:
                if not isinstance(raw, dict):
                    raise MalformedRecord(f"ticket is {type(raw).__name__}, not an object")
                if raw.get("status") == "deleted":
                    continue
                metric = metrics.get(raw.get("id")) or raw.get("metric_set")
                ticket = to_ticket(raw, users, metric, helpdesk=self.name, base_url=self.base_url)
            except MalformedRecord as exc:
                ticket_id = str(raw.get("id", "?")) if isinstance(raw, dict) else "?"
                skipped.append(Skipped(ticket_id, str(exc)))
                continue
            latest[ticket.id] = ticket
        return list(latest.values()), skipped

    def ticket(self, ticket_id: str) -> Ticket | None:
        try:
            body = self.http.get(ep.TICKET.format(id=ticket_id), {"include": "users,metric_sets"})
        except NotFound:
            return None
        raw = body.get("ticket") or {}
        if raw.get("status") == "deleted":
            return None
        users = {u.get("id"): u for u in body.get("users") or ()}
        metric_sets = body.get("metric_sets") or []
        metric = metric_sets[0] if metric_sets else raw.get("metric_set") or body.get("metric_set")
        return to_ticket(raw, users, metric, helpdesk=self.name, base_url=self.base_url)

    def note_refs(self, ticket_id: str) -> str:
        """All comment bodies of a ticket, joined: to find our own notes after a crash."""
        bodies: list[str] = []
        path: str | None = ep.TICKET_COMMENTS.format(id=ticket_id)
        while path:
            body = self.http.get(path)
            bodies.extend(str(c.get("body") or "") for c in body.get("comments") or ())
            path = body.get("next_page")
        return "\n".join(bodies)

    # -- writes --------------------------------------------------------------

    def apply(
        self, changes: Sequence[Change], on_submitted: OnSubmitted | None = None
    ) -> ApplyReport:
        report = ApplyReport()
        pending = self._recover(changes, report)
        calls = plan_calls(pending)
        failures: dict[int, str] = {}
        for start in range(0, len(calls), MAX_JOBS_IN_FLIGHT):
            wave = calls[start : start + MAX_JOBS_IN_FLIGHT]
            jobs = self._submit(wave, on_submitted)
            failures.update(self._follow(jobs))
        for change in pending:
            if change.ref in failures:
                report.failed[change.ref] = failures[change.ref]
            else:
                report.applied.append(change.ref)
        return report

    def _submit(self, calls: list[Call], on_submitted: OnSubmitted | None) -> dict[str, Call]:
        jobs: dict[str, Call] = {}
        for call in calls:
            body = self.http.put(ep.UPDATE_MANY, call.body, call.params)
            job_id = str(body["job_status"]["id"])
            jobs[job_id] = call
            if on_submitted:
                on_submitted(call.refs, job_id)
        return jobs

    def _follow(self, jobs: dict[str, Call]) -> dict[int, str]:
        """Wait for the jobs; returns the refs whose ticket update failed, with why."""
        failures: dict[int, str] = {}
        outstanding = dict(jobs)
        delay, waited = JOB_POLL_START_S, 0.0
        while outstanding:
            self._sleep(delay)
            waited += delay
            for status in self._job_statuses(list(outstanding)):
                call = outstanding.pop(str(status["id"]), None)
                if call is not None:
                    failures.update(_job_failures(status, call))
            if waited > JOB_TIMEOUT_S:
                for job_id, call in outstanding.items():
                    failures.update(dict.fromkeys(call.refs, f"job {job_id} did not finish"))
                break
            delay = min(JOB_POLL_MAX_S, delay * 2)
        return failures

    def _job_statuses(self, job_ids: list[str]) -> list[dict[str, Any]]:
        body = self.http.get(ep.JOB_STATUSES, {"ids": ",".join(job_ids)}, kind="writes")
        return [s for s in body.get("job_statuses") or () if s.get("status") in ep.JOB_DONE_STATES]

    def _recover(self, changes: Sequence[Change], report: ApplyReport) -> list[Change]:
        """Changes from an interrupted attempt: settle them from their job, else re-send safely."""
        resumed = [c for c in changes if c.job_id]
        if not resumed:
            return list(changes)
        statuses = {
            str(s["id"]): s for s in self._job_statuses(sorted({c.job_id for c in resumed}))
        }
        pending = []
        for change in changes:
            status = statuses.get(change.job_id or "")
            if status is not None and _ticket_succeeded(status, change.ticket_id):
                report.applied.append(change.ref)
            elif (
                change.note
                and change.note_ref
                and change.note_ref in self.note_refs(change.ticket_id)
            ):
                report.applied.append(change.ref)  # the note is there: never post it twice
            else:
                pending.append(change)
        return pending

    def close(self) -> None:
        self._session.close()


def _ticket_succeeded(status: dict[str, Any], ticket_id: str) -> bool:
    if status.get("status") != "completed":
        return False
    for result in status.get("results") or ():
        if str(result.get("id")) == ticket_id:
            return bool(result.get("success", True))
    return False


def _job_failures(status: dict[str, Any], call: Call) -> dict[int, str]:
    if status.get("status") != "completed":
        message = (
            f"job {status.get('id')} {status.get('status')}: {status.get('message') or ''}".strip()
        )
        return dict.fromkeys(call.refs, message)
    failures: dict[int, str] = {}
    results = {str(r.get("id")): r for r in status.get("results") or ()}
    for ticket_id, refs in call.refs_by_ticket.items():
        result = results.get(ticket_id)
        if result is None or result.get("success") is False:
            why = (result or {}).get("error") or (result or {}).get("details") or "no result in job"
            failures.update(dict.fromkeys(refs, f"ticket {ticket_id}: {why}"))
    return failures
