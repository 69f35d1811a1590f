"""Surveys as the dispatcher leaves them once sent, and the links their e-mail carries.

A survey link is honoured only for a survey the outbox sent, so tests that answer
one first record the survey as sent, through the same store calls the dispatcher
makes (schedule, claim, mark sent).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from care.domain.legacy_links import sign_legacy
from care.domain.survey_links import Answer, SurveyRef, answer_url, sign
from care.store import Store
from care.store.schema import SurveyState
from care.store.surveys import SurveyRecord, SurveyRequest, outbox


def send_survey(
    store: Store,
    helpdesk: str,
    ticket_id: str,
    email: str,
    now: datetime | None = None,
) -> SurveyRecord:
    """The ticket's survey, recorded as sent to `email` (scheduled first if it has none)."""
    now = now or datetime.now(UTC)
    if store.survey(helpdesk, ticket_id) is None:
        request = SurveyRequest(
            helpdesk=helpdesk,
            ticket_id=ticket_id,
            requester_id="requester-1",
            requester_email=email,
            requester_name="Iris Requester",
            subject="Parcel arrived",
            solved_at=now - timedelta(hours=25),
            due_at=now - timedelta(hours=1),
        )
        store.schedule_survey(request, now)
    survey = store.survey(helpdesk, ticket_id)
    assert survey is not None
    if survey.state is not SurveyState.SENT:
        claim = f"test-{uuid.uuid4().hex}"
        # Every scheduled survey is claimed; all but this one go back as they were.
        for found in store.claim_due_surveys(now + timedelta(days=3650), claim, limit=10_000):
            if found.id == survey.id:
                store.mark_survey_sent(found.id, now, f"<test.{found.id}@care.test>", token=claim)
            else:
                store.reschedule_survey(found.id, found.due_at, now, token=claim)
    sent = store.survey(helpdesk, ticket_id)
    assert sent is not None and sent.state is SurveyState.SENT, sent
    return sent


def link_to(
    base_url: str, secret: str, survey: SurveyRecord, answer: Answer, expires_at: datetime
) -> str:
    """The link of `answer` in `survey`'s e-mail."""
    assert survey.link_nonce is not None
    ref = SurveyRef(survey.id, survey.helpdesk, survey.ticket_id, survey.link_nonce)
    return answer_url(base_url, sign(secret, ref, answer, expires_at))


def mailed_before_link_nonces(store: Store, survey: SurveyRecord) -> None:
    """Make `survey` one sent before migration 0007: no link nonce, first-format links."""
    with store._write() as conn:
        conn.execute(update(outbox).where(outbox.c.id == survey.id).values(link_nonce=None))


def first_format_link(
    base_url: str,
    secret: str,
    survey: SurveyRecord,
    answer: Answer,
    expires_at: datetime,
    email: str | None = None,
) -> str:
    """A link as mailed before migration 0007 (it names the address, `email` if given)."""
    address = email or survey.requester_email or ""
    token = sign_legacy(secret, survey.helpdesk, survey.ticket_id, address, answer, expires_at)
    return answer_url(base_url, token)
