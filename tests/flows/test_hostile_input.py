"""Hostile input never halts a helpdesk: poll-helpdesk end to end through Prefect, both
sandboxes over HTTP, SQLite (and PostgreSQL with CARE_TEST_DATABASE_URL).

Customers control subjects, names and addresses; integrations break records. Text is
cleaned at the mapping boundary; a ticket that still cannot be read or stored is
quarantined on its own, listed by `care status` and the run's artifact, and read again
when it changes. The other tickets get their tags and notes, and the cursor moves on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from io import StringIO

import pytest
from rich.console import Console

from care.app.status import collect_status, status_json
from care.app.status_text import print_status
from care.store import Store
from flows.poll import poll_helpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import care_notes, configure, configure_freshdesk, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")

GREETING, LOYAL, TWO_INTERACTIONS = 1, 3, 28  # scenario tickets, the same in both sandboxes
RLO, LRI = "\u202e", "\u2066"


@pytest.fixture(params=["zendesk", "freshdesk"])
def helpdesk(request, database_url, tmp_path, monkeypatch) -> Iterator:
    if request.param == "zendesk":
        with ZendeskSandbox(tickets=60, seed=3, job_delay_ms=5, now=settled_past()) as sb:
            configure(monkeypatch, tmp_path, sb, database_url)
            yield sb
    else:
        with FreshdeskSandbox(tickets=60, seed=3, job_delay_ms=5, now=settled_past()) as sb:
            configure_freshdesk(monkeypatch, tmp_path, sb, database_url)
            yield sb


def name_of(sb) -> str:
    return "zendesk" if isinstance(sb, ZendeskSandbox) else "freshdesk"


def notes(sb, ticket_id: int) -> list[str]:
    if isinstance(sb, ZendeskSandbox):
        return care_notes(sb, ticket_id)
    return [n["body"] for n in sb.notes(ticket_id) if "CARE pipelines" in n["body"]]


def poll(sb):
    return poll_helpdesk(helpdesk=name_of(sb))


def later(sb) -> None:
    """Let the helpdesk's clock pass what the next poll must see (Zendesk's export hides
    the last minute)."""
    sb.advance(120)


def status_of(sb, database_url: str) -> tuple[dict, str]:
    """`care status` as JSON and as the terminal shows it."""
    with Store.open(database_url) as store:
        status = collect_status(store, (name_of(sb),), datetime.now(UTC))
    out = StringIO()
    print_status(Console(file=out, width=120, color_system=None), status)
    return status_json(status), out.getvalue()


def broken(sb, ticket_id: int) -> str:
    """Break a ticket's record the way an integration might; returns the expected reason."""
    if isinstance(sb, ZendeskSandbox):
        sb.tamper(ticket_id, ticket={"via": ["web"]})
        return "via is a list, not an object"
    sb.tamper(ticket_id, stats=["x"])
    return "stats is a list, not an object"


def test_nul_rlo_and_lone_surrogates_are_cleaned_before_notes_and_the_store(helpdesk, database_url):
    helpdesk.tamper(
        GREETING,
        ticket={"subject": f"Package\x00 arrived {RLO}damaged", "description": "x" * 1_000_000},
        requester={"name": f"Maria{RLO}{LRI} Lo\ud800pez\x00"},
    )

    summary = poll(helpdesk)

    (note,) = [n for n in notes(helpdesk, GREETING) if "connect.greeting" in n]
    assert "Hi Maria," in note and 'about "Package arrived damaged"' in note
    assert not {"\x00", RLO, LRI, "\ud800"} & set(note)
    assert summary.quarantined == [] and summary.failed == 0
    assert "care_escalated" in helpdesk.ticket(TWO_INTERACTIONS)["tags"]
    document, _ = status_of(helpdesk, database_url)
    (state,) = document["helpdesks"]
    assert state["state"] == "up_to_date" and state["last_error"] is None
    assert state["tickets_stored"] == 60 and document["quarantined"] == []


def test_a_broken_ticket_is_quarantined_listed_and_read_again_once_it_changes(
    helpdesk, database_url
):
    reason = broken(helpdesk, LOYAL)
    helpdesk.tamper(GREETING, requester=None)  # a null where an object belongs

    first = poll(helpdesk)

    assert first.quarantined == [(str(LOYAL), reason)]
    assert "care_escalated" in helpdesk.ticket(TWO_INTERACTIONS)["tags"]
    assert "care_greeted" in helpdesk.ticket(GREETING)["tags"]
    assert "care_loyal_customer" not in helpdesk.ticket(LOYAL)["tags"]
    artifact = first.markdown()
    assert "## Quarantined tickets" in artifact and f"| {LOYAL} | {reason} |" in artifact
    document, terminal = status_of(helpdesk, database_url)
    (state,) = document["helpdesks"]
    assert state["state"] == "up_to_date" and state["quarantined"] == 1
    (entry,) = document["quarantined"]
    assert (entry["ticket_id"], entry["stage"], entry["reason"]) == (str(LOYAL), "read", reason)
    assert "Quarantined tickets (1)" in terminal
    assert f"{name_of(helpdesk)} ticket {LOYAL}: read again when it next changes" in terminal
    assert reason in terminal

    helpdesk.touch(LOYAL, priority="high" if isinstance(helpdesk, ZendeskSandbox) else 3)
    later(helpdesk)
    second = poll(helpdesk)

    assert second.quarantined == [] and second.released == 1
    assert "care_loyal_customer" in helpdesk.ticket(LOYAL)["tags"]
    document, terminal = status_of(helpdesk, database_url)
    assert document["quarantined"] == [] and "No quarantined tickets." in terminal


def test_a_ticket_the_database_refuses_is_quarantined_and_the_page_goes_on(
    helpdesk, database_url, monkeypatch
):
    # The second wall: with the first (the text cleaning) down, a lone surrogate in an
    # address reaches the store, which no database driver can encode.
    monkeypatch.setattr("connectors.fields.clean_line", lambda text, limit=0: text)
    helpdesk.tamper(LOYAL, requester={"email": "ana\ud800@example.com"})

    summary = poll(helpdesk)

    # (on Zendesk the address is the user's: that requester's other tickets go too)
    quarantined = dict(summary.quarantined)
    assert str(LOYAL) in quarantined and len(quarantined) < 3
    assert all(r.startswith("UnicodeEncodeError: ") for r in quarantined.values())
    assert "care_escalated" in helpdesk.ticket(TWO_INTERACTIONS)["tags"]
    assert "care_loyal_customer" not in helpdesk.ticket(LOYAL)["tags"]
    document, _ = status_of(helpdesk, database_url)
    (state,) = document["helpdesks"]
    assert state["state"] == "up_to_date" and state["tickets_stored"] == 60 - len(quarantined)
    assert {(q["ticket_id"], q["stage"]) for q in document["quarantined"]} == {
        (ticket_id, "store") for ticket_id in quarantined
    }


def test_a_ticket_whose_rules_raise_is_quarantined_and_the_others_are_handled(
    helpdesk, database_url, monkeypatch
):
    from tasks import poll as poll_tasks

    evaluate = poll_tasks.evaluate

    def fails_on_one(ticket, *args):
        if ticket.id == str(LOYAL):
            raise ZeroDivisionError("an input no rule foresaw")
        return evaluate(ticket, *args)

    monkeypatch.setattr(poll_tasks, "evaluate", fails_on_one)

    summary = poll(helpdesk)

    assert summary.quarantined == [(str(LOYAL), "ZeroDivisionError: an input no rule foresaw")]
    assert "care_escalated" in helpdesk.ticket(TWO_INTERACTIONS)["tags"]
    document, _ = status_of(helpdesk, database_url)
    assert [(q["ticket_id"], q["stage"]) for q in document["quarantined"]] == [
        (str(LOYAL), "rules")
    ]
    assert document["helpdesks"][0]["state"] == "up_to_date"
