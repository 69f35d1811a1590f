"""poll-helpdesk records each wait once: the Zendesk sandbox, Prefect and a real store."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from care.store import Store
from care.store.waits import waits
from flows.poll import poll_helpdesk
from sandboxes.zendesk import SCENARIOS, ZendeskSandbox
from tests.flows.environment import configure, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")
NEVER_ANSWERED = SCENARIOS["sla_never_answered_30h"].ticket_id


def recorded(database_url: str, ticket_id: int) -> list[dict[str, Any]]:
    query = select(waits).where(waits.c.ticket_id == str(ticket_id)).order_by(waits.c.started_at)
    with Store.open(database_url) as store, store._engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def poll_again(sandbox: ZendeskSandbox) -> None:
    sandbox.advance(61)  # past Zendesk's one-minute export delay
    poll_helpdesk(helpdesk="zendesk")


def test_a_wait_is_one_row_across_polls_and_the_next_message_starts_another(
    database_url, tmp_path, monkeypatch
):
    with ZendeskSandbox(tickets=40, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")
        poll_again(sandbox)  # our own tags come back: the same wait, seen again
        assert "care_sla_breached" in sandbox.ticket(NEVER_ANSWERED)["tags"]
        (first,) = recorded(database_url, NEVER_ANSWERED)
        assert (first["kind"], first["ended_at"]) == ("first_reply", None)
        assert first["breached_at"] is not None

        sandbox.touch(NEVER_ANSWERED, agent_reply="Looking into it now.")
        poll_again(sandbox)
        (first,) = recorded(database_url, NEVER_ANSWERED)
        assert first["ended_at"] is not None

        sandbox.touch(NEVER_ANSWERED, requester_message="It still does not work.")
        poll_again(sandbox)
        poll_again(sandbox)
        ended, second = recorded(database_url, NEVER_ANSWERED)
        assert ended == first
        assert (second["kind"], second["breached_at"], second["ended_at"]) == (
            "next_reply",
            None,
            None,
        )

        sandbox.touch(NEVER_ANSWERED, status="pending")
        poll_again(sandbox)
        assert recorded(database_url, NEVER_ANSWERED)[1]["ended_at"] is not None
