"""A survey dispatcher killed at any point, then restarted: no survey twice, none dropped silently.

A child process dispatches five due surveys and SIGKILLs itself at its third send
(tests/flows/survey_dispatcher.py). A dispatcher in this process then runs three
times: before the dead one's claims are stale (it must leave them alone), after
(it takes them over), and once more (nothing is left to do).
"""

from __future__ import annotations

import email
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from rich.console import Console

from care.app.summaries import print_dispatch_summary
from care.outbound.survey_message import SURVEY_HEADER
from care.outbound.transport import OutboxTransport, SmtpTransport, Transport
from care.store import Store, SurveyRecord, SurveyState
from flows.surveys import markdown_summary
from tasks.surveys import (
    CLAIM_LOST,
    INTERRUPTED_DELIVERED,
    INTERRUPTED_UNKNOWN,
    SENT_CLAIM_LOST,
    DispatchResult,
)
from tests.flows.mail import smtp_inbox
from tests.flows.survey_dispatcher import context, dispatch, schedule_due

SURVEYS, CRASH_ON = 5, 3
ROOT = Path(__file__).resolve().parents[2]


def kill_a_dispatcher(database_url: str, crash_at: str, *transport: str) -> None:
    command = [sys.executable, "-m", "tests.flows.survey_dispatcher", database_url, *transport]
    command += ["--crash-at", crash_at, "--crash-on", str(CRASH_ON)]
    child = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr


@dataclass
class Restart:
    too_early: DispatchResult  # while the killed dispatcher's claims are fresh
    taken_over: DispatchResult  # once they are stale
    again: DispatchResult
    surveys: list[SurveyRecord]


def restart(database_url: str, transport: Transport, ids: list[str]) -> Restart:
    with Store.open(database_url) as store:
        too_early = dispatch(context(store, transport))
        stale = timedelta(0)  # the killed dispatcher's claims count as stale at once
        taken_over = dispatch(context(store, transport), stale_after=stale)
        again = dispatch(context(store, transport), stale_after=stale)
        surveys = [s for i in ids if (s := store.survey("zendesk", i))]
    assert len(surveys) == len(ids)
    return Restart(too_early, taken_over, again, surveys)


def schedule(database_url: str) -> list[str]:
    with Store.open(database_url) as store:
        return schedule_due(store, SURVEYS)


def outbox_tickets(folder: Path) -> list[str]:
    """The ticket of each .eml file in the outbox, one entry per file."""
    tickets = []
    for path in folder.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        tickets.append(str(message[SURVEY_HEADER]).partition(":")[2])
    return sorted(tickets)


@pytest.mark.parametrize(
    ("crash_at", "taken_over"),
    [
        ("before_send", {"sent": 3}),  # the interrupted one was never written: written now
        ("after_send", {INTERRUPTED_DELIVERED: 1, "sent": 2}),
        ("after_record", {"sent": 2}),
    ],
)
def test_an_outbox_dispatcher_killed_mid_batch_leaves_each_survey_written_exactly_once(
    crash_at: str, taken_over: dict[str, int], database_url: str, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    ids = schedule(database_url)
    kill_a_dispatcher(database_url, crash_at, "--outbox", str(outbox))
    assert len(outbox_tickets(outbox)) == (CRASH_ON - 1 if crash_at == "before_send" else CRASH_ON)

    restarted = restart(database_url, OutboxTransport(outbox), ids)

    assert outbox_tickets(outbox) == sorted(ids)
    assert restarted.too_early.outcomes == {}
    assert restarted.taken_over.outcomes == taken_over
    assert restarted.again.outcomes == {}
    assert [s.state for s in restarted.surveys] == [SurveyState.SENT] * SURVEYS


@pytest.mark.parametrize("crash_at", ["before_send", "after_send"])
def test_an_smtp_send_cut_short_by_a_kill_is_failed_visibly_and_never_sent_again(
    crash_at: str, database_url: str
) -> None:
    with smtp_inbox() as inbox:
        ids = schedule(database_url)
        kill_a_dispatcher(database_url, crash_at, "--smtp-port", str(inbox.port))
        smtp = SmtpTransport("127.0.0.1", inbox.port, tls="none", timeout=10)
        restarted = restart(database_url, smtp, ids)

    mailed = Counter(inbox.tickets())
    assert set(mailed.values()) == {1}  # nobody got a survey twice
    (interrupted,) = [s for s in restarted.surveys if s.state is not SurveyState.SENT]
    assert (interrupted.ticket_id in mailed) == (crash_at == "after_send")
    assert set(mailed) | {interrupted.ticket_id} == set(ids)  # every other one was sent

    assert interrupted.state is SurveyState.FAILED
    assert interrupted.last_error is not None and interrupted.message_id is not None
    assert "interrupted while sending at" in interrupted.last_error
    assert "not sent again because it may have been delivered" in interrupted.last_error
    assert interrupted.message_id in interrupted.last_error  # to look for in the server's log
    assert restarted.too_early.outcomes == {}
    assert restarted.taken_over.outcomes == {INTERRUPTED_UNKNOWN: 1, "sent": 2}
    assert restarted.again.outcomes == {}

    console = Console(record=True, width=200)
    print_dispatch_summary(console, restarted.taken_over)
    shown = console.export_text()
    assert "interrupted: may have been delivered │ 1" in shown
    assert "1 interrupted send found" in shown


def test_an_smtp_dispatcher_killed_after_recording_a_send_leaves_the_rest_to_the_next(
    database_url: str,
) -> None:
    with smtp_inbox() as inbox:
        ids = schedule(database_url)
        kill_a_dispatcher(database_url, "after_record", "--smtp-port", str(inbox.port))
        assert len(inbox.messages) == CRASH_ON
        smtp = SmtpTransport("127.0.0.1", inbox.port, tls="none", timeout=10)
        restarted = restart(database_url, smtp, ids)

    assert sorted(inbox.tickets()) == sorted(ids)
    assert restarted.taken_over.outcomes == {"sent": SURVEYS - CRASH_ON}
    assert [s.state for s in restarted.surveys] == [SurveyState.SENT] * SURVEYS


class TakenOverMidSend:
    """A transport that stalls in its first send while another dispatcher takes over."""

    def __init__(self, inner: Transport, successor: Callable[[], DispatchResult]) -> None:
        self.inner, self.successor = inner, successor
        self.took_over: DispatchResult | None = None

    def send(self, msg: EmailMessage) -> None:
        if self.took_over is None:
            self.took_over = self.successor()
        self.inner.send(msg)

    def delivered(self, message_id: str) -> bool | None:
        return self.inner.delivered(message_id)


def test_a_stalled_dispatcher_overwrites_nothing_its_successor_took_over(
    database_url: str,
) -> None:
    with smtp_inbox() as inbox, Store.open(database_url) as store:
        ids = schedule_due(store, SURVEYS)
        smtp = SmtpTransport("127.0.0.1", inbox.port, tls="none", timeout=10)

        def successor() -> DispatchResult:
            with Store.open(database_url) as own_store:
                return dispatch(context(own_store, smtp), stale_after=timedelta(0))

        stalled = TakenOverMidSend(smtp, successor)
        first = dispatch(context(store, stalled))
        surveys = [s for i in ids if (s := store.survey("zendesk", i))]

    assert sorted(inbox.tickets()) == sorted(ids)  # each mailed once, by one or the other
    assert first.outcomes == {SENT_CLAIM_LOST: 1, CLAIM_LOST: SURVEYS - 1}
    assert stalled.took_over is not None
    assert stalled.took_over.outcomes == {INTERRUPTED_UNKNOWN: 1, "sent": SURVEYS - 1}
    # Every row as the successor recorded it: the stalled dispatcher changed none.
    states = Counter(s.state for s in surveys)
    assert states == {SurveyState.SENT: SURVEYS - 1, SurveyState.FAILED: 1}
    markdown = markdown_summary(stalled.took_over, dry_run=False)
    assert f"| {INTERRUPTED_UNKNOWN} | 1 |" in markdown
    assert "1 interrupted send found" in markdown
