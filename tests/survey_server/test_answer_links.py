"""Answering "Yes, solved" / "No, not yet": the link opens a page, "Send my answer" records
the answer once and writes it to the Zendesk ticket; opening a link alone changes nothing."""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta
from urllib.parse import urljoin

import pytest
import requests

from care.domain.rules.enhance import SURVEY_ANSWER
from care.settings.load import ConfigError
from care.store import ActionState
from tests.survey_server.conftest import (
    REQUESTER,
    Survey,
    answer_notes,
    solved_tickets,
    update_calls,
)


def test_a_solved_answer_tags_the_ticket_and_adds_a_private_note(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    agent_tags = set(survey.sandbox.ticket(ticket_id)["tags"])

    page = survey.send(survey.link("solved", ticket_id))

    assert page.status_code == 200
    assert "Thank you for your answer" in page.text and "Yes, solved" in page.text
    ticket = survey.sandbox.ticket(ticket_id)
    assert set(ticket["tags"]) == agent_tags | {"care_survey_solved"}
    assert ticket["status"] == "solved"
    (note,) = answer_notes(survey.sandbox, ticket_id, "enhance.survey_answer")
    assert "Yes, solved" in note
    assert survey.sandbox.comments(ticket_id)[-1]["public"] is False
    stored = survey.answer(ticket_id)
    assert stored is not None and stored.answer == "solved" and not stored.answer_pending
    assert stored.requester_email == REQUESTER


def test_an_unsolved_answer_reopens_the_ticket(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]

    page = survey.send(survey.link("unsolved", ticket_id))

    assert page.status_code == 200 and "reopened your request" in page.text
    ticket = survey.sandbox.ticket(ticket_id)
    assert ticket["status"] == "open" and "care_survey_unsolved" in ticket["tags"]
    (note,) = answer_notes(survey.sandbox, ticket_id, "enhance.survey_answer")
    assert "No, not yet" in note and "reopened" in note


def test_an_unsolved_answer_leaves_the_ticket_solved_when_the_policy_says_so(
    start_survey, zendesk
) -> None:
    survey = start_survey(zendesk, toml="[survey]\nreopen_on_unsolved = false\n")
    ticket_id = solved_tickets(zendesk)[0]

    page = survey.send(survey.link("unsolved", ticket_id))

    assert page.status_code == 200 and "reopened" not in page.text
    ticket = zendesk.ticket(ticket_id)
    assert ticket["status"] == "solved" and "care_survey_unsolved" in ticket["tags"]
    (note,) = answer_notes(zendesk, ticket_id, "enhance.survey_answer")
    assert "reopened" not in note


def test_the_tag_names_follow_the_configured_prefix(start_survey, zendesk) -> None:
    survey = start_survey(zendesk, toml='[tags]\nprefix = "acme_"\nsurvey_solved = "happy"\n')
    ticket_id = solved_tickets(zendesk)[0]
    survey.send(survey.link("solved", ticket_id))
    assert "acme_happy" in zendesk.ticket(ticket_id)["tags"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature changed
        lambda token: "x" + token,  # payload changed
        lambda token: token.split(".")[0],  # no signature at all
        lambda token: "not a token at all",
    ],
)
def test_an_altered_link_is_refused_and_changes_nothing(survey: Survey, tamper) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    before = survey.sandbox.ticket(ticket_id)
    base, token = survey.link("solved", ticket_id).rsplit("/", 1)
    survey.sandbox.reset_log()

    page = survey.get(f"{base}/{tamper(token)}")

    assert page.status_code == 400 and "This link is not valid" in page.text
    assert survey.answer(ticket_id) is None
    assert survey.sandbox.ticket(ticket_id) == before and survey.sandbox.requests_log == []


def test_a_link_signed_with_another_key_is_refused(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    page = survey.get(survey.link("solved", ticket_id, secret="someone-elses-key-0123456789"))
    assert page.status_code == 400 and survey.answer(ticket_id) is None


def test_an_expired_link_is_gone_and_records_nothing(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    survey.sandbox.reset_log()

    page = survey.get(survey.link("solved", ticket_id, expires_in=timedelta(seconds=-1)))

    assert page.status_code == 410 and "expired" in page.text
    assert survey.answer(ticket_id) is None and update_calls(survey.sandbox) == 0


def test_an_unsubscribe_link_cannot_answer(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    unsubscribe = survey.link("unsubscribe", ticket_id)
    page = survey.get(unsubscribe.replace("/unsubscribe/", "/s/"))
    assert page.status_code == 400 and survey.answer(ticket_id) is None


def test_opening_a_link_records_nothing_as_a_mail_scanner_would(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    link = survey.link("unsolved", ticket_id)
    before = survey.sandbox.ticket(ticket_id)
    survey.sandbox.reset_log()

    pages = [survey.get(link) for _ in range(3)]  # a scanner, a preview, the customer
    head = requests.head(link, timeout=10)

    assert all(p.status_code == 200 for p in pages) and head.status_code == 405
    page = pages[-1].text
    assert "Did we solve it?" in page and "No, not yet" in page
    assert "Send my answer" in page and "we'll let the team know and reopen your request" in page
    assert survey.answer(ticket_id) is None
    assert survey.sandbox.ticket(ticket_id) == before and survey.sandbox.requests_log == []


def test_the_page_offers_the_other_answer_after_a_mis_click(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    opened = survey.get(survey.link("unsolved", ticket_id))
    switch = re.search(r'<a href="([^"/]+)">Answer "Yes, solved" instead</a>', opened.text)
    assert switch is not None  # relative to the page: right under any proxy prefix

    page = survey.send(urljoin(opened.url, html.unescape(switch.group(1))))

    assert "Thank you for your answer" in page.text and "Yes, solved" in page.text
    stored = survey.answer(ticket_id)
    assert stored is not None and stored.answer == "solved"
    assert survey.sandbox.ticket(ticket_id)["status"] == "solved"


def test_a_second_answer_shows_the_first_and_writes_nothing_more(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    survey.send(survey.link("solved", ticket_id))
    writes = update_calls(survey.sandbox)

    again = survey.send(survey.link("solved", ticket_id))
    opened = survey.get(survey.link("unsolved", ticket_id))
    other = survey.post(survey.link("unsolved", ticket_id), {"send": "answer", "comment": ""})

    for page in (again, opened, other):
        assert page.status_code == 200
        assert "We already have your answer" in page.text and "Yes, solved" in page.text
    assert update_calls(survey.sandbox) == writes
    ticket = survey.sandbox.ticket(ticket_id)
    assert ticket["status"] == "solved" and "care_survey_unsolved" not in ticket["tags"]
    assert len(answer_notes(survey.sandbox, ticket_id, "enhance.survey_answer")) == 1


def test_a_comment_is_written_once_as_a_private_note(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    link = survey.link("unsolved", ticket_id)
    survey.send(link)

    first = survey.post(link, {"comment": "The printer still jams <every> time.\r\nModel X2"})
    second = survey.post(link, {"comment": "Hello again"})

    assert first.status_code == 200 and "We received your comment" in first.text
    assert "The printer still jams &lt;every&gt; time." in first.text  # escaped, not markup
    assert second.status_code == 200 and "We already received your comment" in second.text
    assert "Hello again" not in second.text
    (note,) = answer_notes(survey.sandbox, ticket_id, "enhance.survey_comment")
    assert "The printer still jams <every> time.\nModel X2" in note
    assert survey.sandbox.comments(ticket_id)[-1]["public"] is False
    stored = survey.answer(ticket_id)
    assert stored is not None and not stored.comment_pending


def test_an_answer_sent_with_a_comment_writes_both(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    page = survey.send(survey.link("solved", ticket_id), comment="All good, thanks!")
    assert page.status_code == 200 and "Thank you for your comment" in page.text
    assert "care_survey_solved" in survey.sandbox.ticket(ticket_id)["tags"]
    assert len(answer_notes(survey.sandbox, ticket_id, "enhance.survey_answer")) == 1
    assert len(answer_notes(survey.sandbox, ticket_id, "enhance.survey_comment")) == 1


@pytest.mark.parametrize(
    ("comment", "message"),
    [("   ", "Please write a comment"), ("x" * 2001, "please shorten it to 2000")],
)
def test_an_empty_or_too_long_comment_gets_the_form_back(survey: Survey, comment, message):
    ticket_id = solved_tickets(survey.sandbox)[0]
    link = survey.link("solved", ticket_id)
    survey.send(link)

    page = survey.post(link, {"comment": comment})

    assert page.status_code == 400 and message in page.text
    assert 'aria-invalid="true"' in page.text and "<textarea" in page.text
    stored = survey.answer(ticket_id)
    assert stored is not None and stored.comment is None
    assert answer_notes(survey.sandbox, ticket_id, "enhance.survey_comment") == []


def test_an_oversized_form_is_refused(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    page = survey.post(survey.link("solved", ticket_id), "comment=" + "x" * 40_000)
    assert page.status_code == 413 and survey.answer(ticket_id) is None


def test_pages_are_plain_accessible_html_that_leaks_no_token(survey: Survey) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    page = survey.get(survey.link("unsolved", ticket_id))

    headers = page.headers
    assert headers["Content-Type"].startswith("text/html")
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp and "http" not in csp
    html = page.text
    assert '<html lang="en">' in html and 'name="viewport"' in html
    assert '<label for="comment">' in html and 'id="comment"' in html
    assert "<script" not in html and "src=" not in html and "http" not in html


def test_an_unknown_page_is_a_plain_404(survey: Survey) -> None:
    page = survey.get(survey.server.url + "/admin")
    assert page.status_code == 404 and "Page not found" in page.text
    assert page.headers["Cache-Control"] == "no-store"


def test_the_log_names_the_ticket_but_never_the_token_or_the_address(
    survey: Survey, caplog: pytest.LogCaptureFixture
) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    link = survey.link("solved", ticket_id)
    token = link.rsplit("/", 1)[1]
    with caplog.at_level(logging.DEBUG):
        survey.send(link)
        survey.get(link[:-2])
        survey.post(survey.link("unsubscribe", ticket_id))

    ours = [r for r in caplog.records if r.name.startswith(("care", "uvicorn"))]
    text = "\n".join(r.getMessage() for r in ours)
    assert f"zendesk:{ticket_id}" in text and "I***@example.com" in text
    assert "tampered" in text and "opt-out" in text
    assert token not in text and token[:20] not in text
    assert REQUESTER not in text and REQUESTER.lower() not in text


def test_a_page_template_override_is_used_and_a_broken_one_stops_the_start(
    start_survey, zendesk, tmp_path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "survey.error.html.j2").write_text(
        '{% extends "survey.page.html.j2" %}{% block content %}<h1>Oops: {{ heading }}</h1>'
        "{% endblock %}"
    )
    survey = start_survey(zendesk, toml=f'templates_dir = "{templates.as_posix()}"\n')
    assert "<h1>Oops: This link is not valid</h1>" in survey.get(survey.link("solved", 1)[:-4]).text

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "survey.answer.html.j2").write_text("{% if %}")
    with pytest.raises(ConfigError, match=r"survey\.answer\.html\.j2"):
        start_survey(zendesk, toml=f'templates_dir = "{broken.as_posix()}"\n')


def test_an_answer_on_the_ticket_is_in_the_action_log_once_and_only_not_yet_alerts(
    start_survey, zendesk
) -> None:
    survey = start_survey(zendesk)
    solved_id, unsolved_id = solved_tickets(zendesk)[:2]
    survey.send(survey.link("solved", solved_id))
    for _ in range(2):
        survey.send(survey.link("unsolved", unsolved_id))

    logged = [r for r in survey.store.recent_actions(limit=100) if r.rule == SURVEY_ANSWER]

    assert len(logged) == 2
    assert {(r.ticket_id, r.notify) for r in logged} == {
        (str(solved_id), False),
        (str(unsolved_id), True),
    }
    assert all(r.state == ActionState.APPLIED and r.applied_at is not None for r in logged)
