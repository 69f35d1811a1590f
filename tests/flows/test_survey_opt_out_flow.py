"""An unsubscribe through the survey endpoint is honoured by the next dispatch."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import requests

from care.settings.load import load_settings
from care.store import Store
from care.web.server import create_app
from care.web.serving import SurveyServer
from flows.poll import poll_helpdesk
from flows.surveys import dispatch_surveys
from sandboxes.zendesk import SCENARIOS, ZendeskSandbox
from tests.flows.environment import configure, settled_past
from tests.surveys.sent import link_to, send_survey

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_a_requester_who_unsubscribed_is_skipped_as_opted_out(
    database_url, tmp_path, monkeypatch
) -> None:
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")
        settings = load_settings()
        with Store.open(database_url) as store:
            due = str(SCENARIOS["survey_due"].ticket_id)
            (opted,) = [s for s in store.due_surveys(datetime.now(UTC)) if s.ticket_id == due]
            assert opted.requester_email is not None
            # The unsubscribe link of an earlier survey, sent to the address in another case:
            # the same person.
            earlier = send_survey(store, "zendesk", "9999", opted.requester_email.upper())
            secret = os.environ["CARE_SURVEY_SECRET"]
            expires = datetime.now(UTC) + timedelta(days=30)
            with SurveyServer(create_app(settings, store=store)) as server:
                page = requests.post(
                    link_to(server.url, secret, earlier, "unsubscribe", expires),
                    data="List-Unsubscribe=One-Click",
                    timeout=10,
                )

        result = dispatch_surveys()

    assert page.status_code == 200
    assert result.outcomes["skip:opted_out"] == 1
    outbox = "".join(p.read_text(errors="replace") for p in (tmp_path / "outbox").glob("*.eml"))
    assert opted.requester_email not in outbox
