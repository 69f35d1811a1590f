"""assist.faq suggests once per ticket: a solved ticket that is reopened gets no second note."""

from __future__ import annotations

import pytest

from flows.poll import poll_helpdesk
from sandboxes.scenarios import SCENARIOS
from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import care_notes, configure, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")

TICKET = SCENARIOS["faq_reset_password"].ticket_id


def faq_notes(sandbox: ZendeskSandbox) -> list[str]:
    return [n for n in care_notes(sandbox, TICKET) if "· assist.faq" in n]


@pytest.mark.parametrize("agent_removed_the_tag", [False, True], ids=["tag-kept", "tag-removed"])
def test_a_reopened_ticket_gets_no_second_faq_suggestion(
    agent_removed_the_tag, database_url, tmp_path, monkeypatch
):
    with ZendeskSandbox(tickets=len(SCENARIOS), job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")
        assert len(faq_notes(sandbox)) == 1
        assert "care_faq_suggested" in sandbox.ticket(TICKET)["tags"]

        sandbox.touch(TICKET, agent_reply="Here is the article on resetting it.")
        sandbox.touch(TICKET, status="solved")
        sandbox.advance(61)  # past Zendesk's one-minute export delay
        poll_helpdesk(helpdesk="zendesk")

        tags = sandbox.ticket(TICKET)["tags"]
        if agent_removed_the_tag:  # tidying up: the rule cannot rely on its tag alone
            tags = [t for t in tags if t != "care_faq_suggested"]
        sandbox.touch(TICKET, requester_message="The reset e-mail still never arrives.", tags=tags)
        sandbox.advance(61)
        reopened = poll_helpdesk(helpdesk="zendesk")
        status = sandbox.ticket(TICKET)["status"]
        notes = faq_notes(sandbox)

    assert status == "open"  # the requester's message reopened it...
    assert reopened.tickets >= 1  # ...and CARE read it again
    assert len(notes) == 1
    assert reopened.new_actions["assist.faq"] == 0
