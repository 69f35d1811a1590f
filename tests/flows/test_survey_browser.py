"""A customer in a real browser: the survey e-mail, "No, not yet", a comment, the ticket.

Headless Chromium (Debian's `chromium` + `chromium-driver`, installed by .ci/run) opens
the HTML part of a survey the dispatch flow wrote to the outbox, clicks "No, not yet",
writes a comment and presses "Send my answer"; the Zendesk sandbox then shows the tag
and both notes. The page the link opens is photographed at phone size;
CARE_UPDATE_SCREENSHOTS=1 copies the picture to docs/survey-answer-page.png.
"""

from __future__ import annotations

import email
import os
import shutil
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest

from care.settings.load import load_settings
from care.store import Store
from care.web.server import create_app
from care.web.serving import SurveyServer
from flows.poll import poll_helpdesk
from flows.surveys import dispatch_surveys
from sandboxes.zendesk import SCENARIOS, ZendeskSandbox
from tests.flows.browser import chromium
from tests.flows.environment import care_notes, configure, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")

DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "survey-answer-page.png"
PHONE = (390, 844)


@pytest.fixture
def browser() -> Iterator:
    with chromium(PHONE, phone=True) as driver:
        yield driver


def survey_html(outbox: Path, ticket_id: int) -> str:
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["X-CARE-Survey"] == f"zendesk:{ticket_id}":
            return message.get_body(("html",)).get_content()
    raise AssertionError(f"no survey e-mail for ticket {ticket_id} in {outbox}")


def test_a_customer_answers_not_yet_with_a_comment_in_a_real_browser(
    browser, database_url, tmp_path, monkeypatch
):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    # While a page is replaced, an element found a moment before belongs to no document
    # any more ("Node with given id does not belong to the document"): look again.
    wait = WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,))

    ticket_id = SCENARIOS["survey_due"].ticket_id
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        with (
            Store.open(database_url) as store,
            SurveyServer(create_app(load_settings(), store=store)) as server,
        ):
            monkeypatch.setenv("CARE_SURVEY_BASE_URL", server.url)
            poll_helpdesk(helpdesk="zendesk")
            dispatch_surveys()
            mail = tmp_path / "survey.html"
            mail.write_text(survey_html(tmp_path / "outbox", ticket_id), encoding="utf-8")

            browser.get(mail.as_uri())
            browser.find_element(By.LINK_TEXT, "No, not yet").click()
            wait.until(shown.visibility_of_element_located((By.ID, "comment")))
            heading = browser.find_element(By.TAG_NAME, "h1").text
            opened = browser.find_element(By.TAG_NAME, "body").text
            untouched = sandbox.ticket(ticket_id)
            browser.find_element(By.ID, "comment").send_keys("The lamp still flickers.")
            browser.save_screenshot(str(tmp_path / "answer.png"))
            form_heading = browser.find_element(By.TAG_NAME, "h1")
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            wait.until(shown.staleness_of(form_heading))  # the thank-you page replaced it
            wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "comment"))
            after = browser.find_element(By.TAG_NAME, "body").text
            assert server.app.state.endpoint.wait_for_write_backs(timeout=30)
            width = browser.execute_script("return document.documentElement.scrollWidth")

        ticket = sandbox.ticket(ticket_id)
        notes = care_notes(sandbox, ticket_id)

    assert heading == "Did we solve it?" and "Send my answer" in opened
    assert "care_survey_unsolved" not in untouched["tags"]  # opening the link sent nothing
    assert "Thank you for your comment" in after and "The lamp still flickers." in after
    assert width <= PHONE[0]  # one column: nothing to scroll sideways on a phone
    assert "care_survey_unsolved" in ticket["tags"] and ticket["status"] == "open"
    assert [n.split(" — ")[0] for n in notes if "survey_" in n.split(" — ")[0]] == [
        "[CARE] enhance.survey_answer",
        "[CARE] enhance.survey_comment",
    ]
    assert any("The lamp still flickers." in n for n in notes)
    if os.environ.get("CARE_UPDATE_SCREENSHOTS"):
        shutil.copyfile(tmp_path / "answer.png", DOCS_SCREENSHOT)
