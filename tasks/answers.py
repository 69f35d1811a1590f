"""Survey answers the helpdesk did not take at once (down, slow, a crash), written back.

The survey endpoint writes each answer back the moment it arrives; this task, run
by `dispatch-surveys`, retries whatever is still pending. Safe to run again: what
is written is recorded, and a note that reached the ticket is found by its ref.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from care.settings.load import Settings
from care.store import Store
from tasks.writeback import WriteBackResult, write_back_pending


@task(name="write-back-answers", cache_policy=NO_CACHE)
def write_back_answers(store: Store, settings: Settings) -> WriteBackResult:
    result = write_back_pending(store, settings)
    log = get_run_logger()
    if result.answers_written or result.comments_written or result.failed:
        log.info(
            "survey answers written back: %d answers, %d comments, %d still failing",
            result.answers_written,
            result.comments_written,
            len(result.failed),
        )
    for ticket, why in sorted(result.failed.items()):
        log.warning("answer on %s not written back yet: %s", ticket, why)
    return result
