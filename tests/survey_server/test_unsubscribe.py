"""The unsubscribe link: a confirmation first, one-click from the mail client too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from care.domain.surveys import SurveyCandidate
from care.outbound.survey_message import build_survey_email
from tests.survey_server.conftest import REQUESTER, SECRET, Survey, solved_tickets
from tests.surveys.sent import send_survey


def test_opening_the_link_asks_first_and_the_button_unsubscribes(survey: Survey) -> None:
    link = survey.link("unsubscribe", solved_tickets(survey.sandbox)[0])

    confirm = survey.get(link)

    assert confirm.status_code == 200 and "Unsubscribe from surveys?" in confirm.text
    assert '<form method="post">' in confirm.text and REQUESTER in confirm.text
    assert survey.store.opted_out(REQUESTER) is False  # a link scanner's GET changes nothing

    done = survey.post(link, {})
    again = survey.get(link)

    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert survey.store.opted_out(REQUESTER.upper()) is True
    assert "You are unsubscribed" in again.text


def test_the_one_click_post_of_the_mail_header_unsubscribes(survey: Survey) -> None:
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the header's URL."""
    now = datetime.now(UTC)
    sent = send_survey(survey.store, "zendesk", str(solved_tickets(survey.sandbox)[0]), REQUESTER)
    candidate = SurveyCandidate(
        helpdesk="zendesk",
        ticket_id=sent.ticket_id,
        requester_email=REQUESTER,
        requester_name="Iris Requester",
        subject="Parcel arrived",
        solved_at=now - timedelta(hours=25),
        due_at=now - timedelta(hours=1),
        survey_id=sent.id,
        link_nonce=sent.link_nonce,
    )
    message = build_survey_email(candidate, survey.settings.policy, survey.server.url, SECRET, now)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = str(message["List-Unsubscribe"]).strip("<>")

    answer = survey.post(url, "List-Unsubscribe=One-Click")

    assert answer.status_code == 200
    assert survey.store.opted_out(REQUESTER) is True


def test_an_altered_unsubscribe_link_unsubscribes_nobody(survey: Survey) -> None:
    link = survey.link("unsubscribe", solved_tickets(survey.sandbox)[0])
    for altered in (link[:-3], link.replace("/unsubscribe/", "/unsubscribe/x")):
        assert survey.post(altered, "List-Unsubscribe=One-Click").status_code == 400
    assert survey.store.opted_out(REQUESTER) is False


def test_an_answer_link_cannot_unsubscribe(survey: Survey) -> None:
    link = survey.link("solved", solved_tickets(survey.sandbox)[0])
    answer = survey.post(link.replace("/s/", "/unsubscribe/"), "List-Unsubscribe=One-Click")
    assert answer.status_code == 400 and survey.store.opted_out(REQUESTER) is False


def test_an_old_unsubscribe_link_still_unsubscribes_but_a_forged_one_does_not(
    survey: Survey,
) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    old = survey.link("unsubscribe", ticket_id, expires_in=timedelta(days=-90))
    forged = old[:-3] + ("AAA" if not old.endswith("AAA") else "BBB")

    refused = survey.post(forged, {})
    assert refused.status_code == 400 and survey.store.opted_out(REQUESTER) is False

    done = survey.post(old, {})
    assert done.status_code == 200 and survey.store.opted_out(REQUESTER) is True
