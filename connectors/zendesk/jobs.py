"""Zendesk's background jobs: `update_many` answers with a job, run later.

Job Statuses API (https://developer.zendesk.com/api-reference/ticketing/ticket-management/job_statuses/):
`GET /api/v2/job_statuses/show_many?ids=` (≤ 100) for the jobs we submitted, and List
Job Statuses (`GET /api/v2/job_statuses`, newest first) to tell whether any job of the
account is still queued or working. Statuses `queued`, `working`, `completed`, `failed`
(`killed` in one version of the docs); per ticket, `results[]` with `success` and, when
it failed, `error` and `details`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from connectors.http import HelpdeskHttp
from connectors.zendesk import endpoints as ep

JOB_POLL_START_S = 0.05
JOB_POLL_MAX_S = 2.0


def job_statuses(
    http: HelpdeskHttp, job_ids: list[str], finished_only: bool
) -> list[dict[str, Any]]:
    statuses: list[dict[str, Any]] = []
    for start in range(0, len(job_ids), ep.JOB_STATUSES_MAX_IDS):
        chunk = job_ids[start : start + ep.JOB_STATUSES_MAX_IDS]
        body = http.get(ep.JOB_STATUSES, {"ids": ",".join(chunk)}, kind="job_polls")
        statuses.extend(body.get("job_statuses") or ())
    if finished_only:
        return [s for s in statuses if s.get("status") in ep.JOB_DONE_STATES]
    return statuses


def jobs_drained(http: HelpdeskHttp, sleep: Callable[[float], None], patience: float) -> bool:
    """Wait up to `patience` s until no recent job of the account is queued or working
    (List Job Statuses, newest first): a batch whose answer was lost, or that a
    crashed run sent, may not have run yet. False if some still are."""
    delay, waited = JOB_POLL_START_S, 0.0
    while True:
        body = http.get(ep.RECENT_JOBS, {"page[size]": ep.JOB_STATUSES_MAX_IDS}, kind="job_polls")
        statuses = body.get("job_statuses") or ()
        if all(s.get("status") in ep.JOB_DONE_STATES for s in statuses):
            return True
        if waited >= patience:
            return False
        sleep(delay)
        waited += delay
        delay = min(JOB_POLL_MAX_S, delay * 2)


def job_refs(jobs: Iterable[dict[str, list[int]]]) -> set[int]:
    return {ref for by_ticket in jobs for refs in by_ticket.values() for ref in refs}


def ticket_succeeded(status: dict[str, Any], ticket_id: str) -> bool:
    if status.get("status") != "completed":
        return False
    for result in status.get("results") or ():
        if str(result.get("id")) == ticket_id:
            return bool(result.get("success", True))
    return False


def job_failures(status: dict[str, Any], by_ticket: dict[str, list[int]]) -> dict[int, str]:
    """The refs whose ticket update failed in a finished job, with why."""
    if status.get("status") != "completed":
        message = f"job {status.get('id')} {status.get('status')}: {status.get('message') or ''}"
        return {ref: message.strip() for refs in by_ticket.values() for ref in refs}
    failures: dict[int, str] = {}
    results = {str(r.get("id")): r for r in status.get("results") or ()}
    for ticket_id, refs in by_ticket.items():
        result = results.get(ticket_id)
        if result is None or result.get("success") is False:
            why = (result or {}).get("error") or (result or {}).get("details") or "no result in job"
            failures.update(dict.fromkeys(refs, f"ticket {ticket_id}: {why}"))
    return failures
