"""A link answers only the survey it was mailed in: the outbox must have sent that survey,
with the link's nonce and ticket, to the address that answers. Anything else is a plain
400 page that changes nothing, even for a link signed with the real key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from care.domain.legacy_links import sign_legacy
from care.domain.survey_links import Answer, SurveyRef, answer_url, sign
from care.store.surveys import SurveyRequest
from tests.survey_server.conftest import (
    REQUESTER,
    SECRET,
    Survey,
    answer_notes,
    solved_tickets,
)
from tests.surveys.sent import (
    first_format_link,
    link_to,
    mailed_before_link_nonces,
    send_survey,
)

EXPIRES_IN = timedelta(days=30)


def expires() -> datetime:
    return datetime.now(UTC) + EXPIRES_IN


def link(survey: Survey, ref: SurveyRef, answer: Answer = "unsolved") -> str:
    return answer_url(survey.server.url, sign(SECRET, ref, answer, expires()))


def assert_refused_and_nothing_changed(survey: Survey, url: str, ticket_ids: list[int]) -> None:
    before = {t: survey.sandbox.ticket(t) for t in ticket_ids}
    survey.sandbox.reset_log()

    opened = survey.get(url)
    sent = survey.post(url, {"send": "answer", "comment": "reopen everything"})

    for page in (opened, sent):
        assert page.status_code == 400 and "This link is not valid" in page.text
    assert all(survey.answer(t) is None for t in ticket_ids)
    assert {t: survey.sandbox.ticket(t) for t in ticket_ids} == before
    assert survey.sandbox.requests_log == []


def test_a_link_to_a_survey_that_was_never_sent_is_refused(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    now = datetime.now(UTC)
    survey.store.schedule_survey(
        SurveyRequest(
            "zendesk", str(ticket_id), "r-1", REQUESTER, "Iris", "Parcel", now, now + EXPIRES_IN
        ),
        now,
    )
    scheduled = survey.store.survey("zendesk", str(ticket_id))
    assert scheduled is not None and scheduled.link_nonce is not None
    ref = SurveyRef(scheduled.id, "zendesk", str(ticket_id), scheduled.link_nonce)

    assert_refused_and_nothing_changed(survey, link(survey, ref), [ticket_id])


def test_a_link_with_a_guessed_nonce_is_refused(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    sent = send_survey(survey.store, "zendesk", str(ticket_id), REQUESTER)
    guessed = SurveyRef(sent.id, "zendesk", str(ticket_id), "00" * 16)

    assert_refused_and_nothing_changed(survey, link(survey, guessed), [ticket_id])


def test_a_link_naming_another_ticket_than_its_survey_is_refused(survey: Survey) -> None:
    mine, theirs = solved_tickets(survey.sandbox)[:2]
    sent = send_survey(survey.store, "zendesk", str(mine), REQUESTER)
    assert sent.link_nonce is not None
    moved = SurveyRef(sent.id, "zendesk", str(theirs), sent.link_nonce)

    assert_refused_and_nothing_changed(survey, link(survey, moved), [mine, theirs])


def test_the_answer_is_recorded_for_the_address_the_survey_went_to(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    sent = send_survey(survey.store, "zendesk", str(ticket_id), "ada@example.com")

    page = survey.send(link_to(survey.server.url, SECRET, sent, "solved", expires()))

    assert page.status_code == 200 and "Thank you for your answer" in page.text
    stored = survey.answer(ticket_id)
    assert stored is not None and stored.requester_email == "ada@example.com"


# -- links mailed before migration 0007, in the first token format ----------------------


def test_a_first_format_link_mailed_before_the_upgrade_still_answers(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    sent = send_survey(survey.store, "zendesk", str(ticket_id), REQUESTER)
    mailed_before_link_nonces(survey.store, sent)
    url = first_format_link(survey.server.url, SECRET, sent, "unsolved", expires())

    page = survey.send(url, comment="Still broken")

    assert page.status_code == 200 and "Thank you for your comment" in page.text
    assert survey.sandbox.ticket(ticket_id)["status"] == "open"
    assert len(answer_notes(survey.sandbox, ticket_id, "enhance.survey_answer")) == 1
    stored = survey.answer(ticket_id)
    assert stored is not None and stored.answer == "unsolved"


def test_a_first_format_link_for_a_survey_sent_since_the_upgrade_is_refused(
    survey: Survey,
) -> None:
    """Someone who learnt the key can no longer forge links: new surveys need the nonce."""
    ticket_id = solved_tickets(survey.sandbox)[0]
    sent = send_survey(survey.store, "zendesk", str(ticket_id), REQUESTER)

    url = first_format_link(survey.server.url, SECRET, sent, "unsolved", expires())

    assert_refused_and_nothing_changed(survey, url, [ticket_id])


def test_a_first_format_link_for_another_address_is_refused(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    sent = send_survey(survey.store, "zendesk", str(ticket_id), REQUESTER)
    mailed_before_link_nonces(survey.store, sent)
    url = first_format_link(
        survey.server.url, SECRET, sent, "unsolved", expires(), email="mallory@example.com"
    )

    assert_refused_and_nothing_changed(survey, url, [ticket_id])


def test_a_link_for_several_tickets_at_once_reopens_none(survey: Survey) -> None:
    """The exploit of issue 12: a token for ticket "105,106,118", signed with the real
    key, reopened three tickets with one answer."""
    tickets = solved_tickets(survey.sandbox)[:3]
    several = ",".join(str(t) for t in tickets)
    token = sign_legacy(SECRET, "zendesk", several, REQUESTER, "unsolved", expires())

    assert_refused_and_nothing_changed(survey, answer_url(survey.server.url, token), tickets)
    assert survey.answer(several) is None


def test_a_first_format_unsubscribe_for_a_survey_never_sent_unsubscribes_nobody(
    survey: Survey,
) -> None:
    token = sign_legacy(SECRET, "zendesk", "12345", "victim@example.com", "unsubscribe", expires())
    url = answer_url(survey.server.url, token)

    page = survey.post(url, "List-Unsubscribe=One-Click")

    assert page.status_code == 400 and "This link is not valid" in page.text
    assert survey.store.opted_out("victim@example.com") is False
