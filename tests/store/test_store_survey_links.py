"""Link nonces on the survey outbox: every new survey gets one, and migration 0007 gives
one to the surveys not sent yet while those already sent keep their first-format links."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from care.store import Store
from care.store.database import alembic_config
from care.store.schema import SurveyState
from care.store.surveys import SurveyRequest

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def request(ticket_id: str) -> SurveyRequest:
    return SurveyRequest(
        helpdesk="zendesk",
        ticket_id=ticket_id,
        requester_id="r-1",
        requester_email="ada@example.com",
        requester_name="Ada",
        subject="Parcel",
        solved_at=NOW - timedelta(hours=25),
        due_at=NOW - timedelta(hours=1),
    )


def test_every_survey_gets_its_own_random_link_nonce(store: Store) -> None:
    store.schedule_surveys([request("1"), request("2")], NOW)
    first, second = store.survey("zendesk", "1"), store.survey("zendesk", "2")
    assert first is not None and second is not None
    assert re.fullmatch(r"[0-9a-f]{32}", first.link_nonce or "")
    assert first.link_nonce != second.link_nonce
    assert store.survey_by_id(first.id) == first
    assert store.survey_by_id(first.id + second.id + 1) is None


def test_a_reopened_survey_solved_again_keeps_its_nonce(store: Store) -> None:
    store.schedule_survey(request("1"), NOW)
    (claimed,) = store.claim_due_surveys(NOW, "c-1")
    store.mark_survey_reopened(claimed.id, NOW, token="c-1")
    solved_again = replace(request("1"), solved_at=NOW, due_at=NOW + timedelta(days=1))
    assert store.schedule_survey(solved_again, NOW)
    rescheduled = store.survey("zendesk", "1")
    assert rescheduled is not None and rescheduled.state is SurveyState.SCHEDULED
    assert rescheduled.link_nonce == claimed.link_nonce


def test_migration_0007_gives_nonces_to_unsent_surveys_only(store_url: str) -> None:
    before = ScriptDirectory.from_config(alembic_config()).get_revision("0007").down_revision
    command.upgrade(alembic_config(store_url), str(before))
    engine = create_engine(store_url)
    insert = text(
        "INSERT INTO survey_outbox (helpdesk, ticket_id, requester_id, requester_email, "
        "requester_name, subject, solved_at, due_at, state, attempts, created_at, updated_at) "
        "VALUES ('zendesk', :id, 'r', 'a@x.test', 'A', 'S', :t, :t, :state, 0, :t, :t)"
    )
    try:
        with engine.begin() as conn:
            for ticket_id, state in [("1", "sent"), ("2", "scheduled"), ("3", "reopened")]:
                naive = NOW.replace(tzinfo=None)
                conn.execute(insert, {"id": ticket_id, "t": naive, "state": state})
    finally:
        engine.dispose()

    with Store.open(store_url) as store:  # migrates to head
        sent, scheduled, reopened = (store.survey("zendesk", t) for t in "123")

    assert sent is not None and sent.link_nonce is None  # its links name the address
    assert scheduled is not None and reopened is not None
    assert re.fullmatch(r"[0-9a-f]{32}", scheduled.link_nonce or "")
    assert re.fullmatch(r"[0-9a-f]{32}", reopened.link_nonce or "")
    assert scheduled.link_nonce != reopened.link_nonce
