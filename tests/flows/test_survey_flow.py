"""dispatch-surveys end to end: poll schedules, dispatch sends once through real SMTP."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from care.store import Store
from flows.poll import poll_helpdesk
from flows.surveys import dispatch_surveys
from sandboxes.zendesk import SCENARIOS, ZendeskSandbox
from tests.flows.environment import care_notes, configure, settled_past
from tests.ports import free_port

pytestmark = pytest.mark.usefixtures("prefect_server")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CARE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CARE_SMTP_PORT", str(port))
    monkeypatch.setenv("CARE_SMTP_TLS", "none")
    yield inbox
    controller.stop()


def survey_ticket(message: EmailMessage) -> int:
    return int(message["X-CARE-Survey"].split(":")[1])


def test_a_due_survey_is_mailed_once_and_a_second_dispatch_sends_nothing(
    database_url, tmp_path, monkeypatch, smtp
):
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")

        first = dispatch_surveys()
        second = dispatch_surveys()

    due = SCENARIOS["survey_due"].ticket_id
    mailed = [survey_ticket(m) for m in smtp.messages]
    assert mailed.count(due) == 1
    assert SCENARIOS["survey_not_yet_due"].ticket_id not in mailed
    assert SCENARIOS["survey_no_email"].ticket_id not in mailed
    assert first.outcomes["sent"] == len(smtp.messages)
    assert sum(second.outcomes.values()) == 0  # nothing due any more: nothing sent twice
    message = next(m for m in smtp.messages if survey_ticket(m) == due)
    assert message["From"] == "Acme Support <support@acme.example>"
    html = message.get_body(("html",)).get_content()
    assert "https://survey.acme.example/s/" in html and "unsubscribe" in html.lower()


def test_a_ticket_reopened_before_its_survey_is_due_gets_no_survey(
    database_url, tmp_path, monkeypatch, smtp
):
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")
        due = SCENARIOS["survey_due"].ticket_id
        sandbox.touch(due, requester_message="Actually it is broken again.")

        result = dispatch_surveys()

    assert due not in [survey_ticket(m) for m in smtp.messages]
    assert result.outcomes["reopened"] >= 1


def test_dry_run_lists_due_surveys_and_sends_nothing(database_url, tmp_path, monkeypatch, smtp):
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")
        dry = dispatch_surveys(dry_run=True)
        real = dispatch_surveys()
    assert dry.outcomes["would send"] == real.outcomes["sent"] >= 1
    assert len(smtp.messages) == real.outcomes["sent"]


def test_dispatch_writes_back_an_answer_the_helpdesk_did_not_take_at_once(
    database_url, tmp_path, monkeypatch, smtp
):
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        ticket = SCENARIOS["survey_due"].ticket_id
        answered = datetime.now(UTC) - timedelta(minutes=30)  # the helpdesk was down then
        with Store.open(database_url) as store:
            store.record_survey_answer("zendesk", str(ticket), "iris@x.example", "solved", answered)

        first = dispatch_surveys()
        second = dispatch_surveys()
        tags = sandbox.ticket(ticket)["tags"]
        notes = care_notes(sandbox, ticket)

    assert first.write_backs is not None and first.write_backs.answers_written == 1
    assert second.write_backs is not None and second.write_backs.answers_written == 0
    assert "care_survey_solved" in tags
    assert sum("enhance.survey" in n for n in notes) == 1
