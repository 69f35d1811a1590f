"""Two survey dispatchers at once on PostgreSQL: disjoint claims, every survey mailed once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from care.outbound.transport import SmtpTransport
from care.store import Store, SurveyRecord, SurveyState
from tasks.surveys import DispatchResult
from tests.databases import PG_URL
from tests.flows.mail import smtp_inbox
from tests.flows.survey_dispatcher import context, dispatch, schedule_due

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: CARE_TEST_DATABASE_URL")

SURVEYS, BATCH = 60, 5


class ClaimLog(Store):
    """A store that notes the id of every survey it claims; the first claim starts on cue."""

    claimed: list[int]
    start: threading.Barrier | None

    def claim_due_surveys(self, *args: Any, **kwargs: Any) -> list[SurveyRecord]:
        if self.start:  # both dispatchers claim their first batch at the same moment
            self.start.wait(timeout=20)
            self.start = None
        batch = super().claim_due_surveys(*args, **kwargs)
        self.claimed.extend(s.id for s in batch)
        return batch


def test_two_dispatchers_at_once_claim_disjoint_surveys_and_mail_each_once(
    database_url: str,
) -> None:
    start = threading.Barrier(2)

    def dispatcher(port: int) -> tuple[str, list[int], DispatchResult]:
        with ClaimLog.open(database_url) as store:
            store.claimed, store.start = [], start
            ctx = context(store, SmtpTransport("127.0.0.1", port, tls="none", timeout=10))
            result = dispatch(ctx, batch_size=BATCH)
            return ctx.claim_token, store.claimed, result

    with smtp_inbox() as inbox:
        with Store.open(database_url) as store:
            ids = schedule_due(store, SURVEYS)
        with ThreadPoolExecutor(2) as pool:
            futures = [pool.submit(dispatcher, inbox.port) for _ in range(2)]
            runs = [f.result(timeout=60) for f in futures]
        with Store.open(database_url) as store:
            surveys = [store.survey("zendesk", i) for i in ids]

    (token_a, claimed_a, sent_a), (token_b, claimed_b, sent_b) = runs
    assert claimed_a and claimed_b  # both dispatched
    assert not set(claimed_a) & set(claimed_b)
    assert len(claimed_a) + len(claimed_b) == SURVEYS  # and neither claimed one twice
    assert sorted(inbox.tickets()) == sorted(ids)  # every survey mailed exactly once
    assert sent_a.outcomes["sent"] + sent_b.outcomes["sent"] == SURVEYS
    settled_by = {token_a: set(claimed_a), token_b: set(claimed_b)}
    for survey in surveys:
        assert survey is not None and survey.state is SurveyState.SENT
        assert survey.claim_token is not None and survey.id in settled_by[survey.claim_token]
