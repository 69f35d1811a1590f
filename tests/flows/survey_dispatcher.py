"""The dispatch code of `dispatch-surveys`, without Prefect, for tests that kill it.

    python -m tests.flows.survey_dispatcher DATABASE_URL (--outbox DIR | --smtp-port N)
        --crash-at before_send|after_send|after_record [--crash-on N]

runs one dispatch (claim a batch, re-read, decide, send, record) against a
helpdesk whose tickets are all solved, and SIGKILLs itself at its Nth send:

    before_send   the start of the send is committed; the transport was not called
    after_send    the transport accepted the message; nothing recorded yet
    after_record  the send is recorded as sent

Tests also import `dispatch` and `context` to run a dispatcher in their own process.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from care.domain.model import Status, Ticket
from care.domain.policy import Policy, Survey
from care.outbound.transport import OutboxTransport, SmtpTransport, Transport
from care.settings.load import Settings
from care.store import Store, SurveyRequest
from care.store.surveys import STALE_CLAIM
from tasks.context import utc_now
from tasks.surveys import DispatchContext, DispatchResult, claimed_batches, send_surveys
from tests.rules.builders import ticket

CRASH_POINTS = ("before_send", "after_send", "after_record")
log = logging.getLogger("tests.survey_dispatcher")


class SolvedHelpdesk:
    """Every ticket asked for is solved: each due survey is decided `send`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def tickets(self, ticket_ids: list[str]) -> dict[str, Ticket | None]:
        return {i: ticket(helpdesk=self.name, id=i, status=Status.SOLVED) for i in ticket_ids}

    def close(self) -> None:
        pass


def context(store: Store, transport: Transport) -> DispatchContext:
    settings = Settings(
        policy=Policy(survey=Survey(sender="Acme Support <support@acme.test>")),
        database_url="(given)",
        backfill_days=1,
        survey_secret="test-signing-key-0123456789abcdef",
    )
    return DispatchContext(settings, store, transport, SolvedHelpdesk, utc_now)


def dispatch(
    ctx: DispatchContext, stale_after: timedelta = STALE_CLAIM, batch_size: int = 100
) -> DispatchResult:
    """What the flow does with `send_batch`, batch after batch, up to 1,000 surveys."""
    result = DispatchResult()
    for batch in claimed_batches(ctx, 1000, batch_size, stale_after):
        result.add(send_surveys(ctx, batch, False, log))
    return result


def schedule_due(store: Store, count: int) -> list[str]:
    """`count` surveys due an hour ago, to as many requesters; returns their ticket ids."""
    solved = utc_now() - timedelta(hours=25)
    ids = [str(i) for i in range(1, count + 1)]
    store.schedule_surveys(
        [
            SurveyRequest(
                "zendesk",
                i,
                f"r{i}",
                f"requester{i}@example.com",
                f"Requester {i}",
                f"Ticket {i}",
                solved,
                solved + timedelta(hours=24),
            )
            for i in ids
        ],
        solved,
    )
    return ids


@dataclass
class Crash:
    point: str
    on: int  # the Nth time the point is reached
    seen: int = 0

    def at(self, point: str) -> None:
        if point == self.point:
            self.seen += 1
            if self.seen == self.on:
                os.kill(os.getpid(), signal.SIGKILL)


class CrashingTransport:
    def __init__(self, inner: Transport, crash: Crash) -> None:
        self.inner, self.crash = inner, crash

    def send(self, msg: EmailMessage) -> None:
        self.crash.at("before_send")
        self.inner.send(msg)
        self.crash.at("after_send")

    def delivered(self, message_id: str) -> bool | None:
        return self.inner.delivered(message_id)


class CrashingStore(Store):
    crash: Crash

    def mark_survey_sent(self, *args: Any, **kwargs: Any) -> bool:
        recorded = super().mark_survey_sent(*args, **kwargs)
        self.crash.at("after_record")
        return recorded


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--outbox")
    where.add_argument("--smtp-port", type=int)
    parser.add_argument("--crash-at", choices=CRASH_POINTS, required=True)
    parser.add_argument("--crash-on", type=int, default=1)
    args = parser.parse_args()

    crash = Crash(args.crash_at, args.crash_on)
    inner: Transport = (
        OutboxTransport(args.outbox)
        if args.outbox
        else SmtpTransport("127.0.0.1", args.smtp_port, tls="none", timeout=10)
    )
    with CrashingStore.open(args.database_url) as store:
        store.crash = crash
        dispatch(context(store, CrashingTransport(inner, crash)))
    raise SystemExit(f"dispatched without reaching {args.crash_at} #{args.crash_on}")


if __name__ == "__main__":
    main()
