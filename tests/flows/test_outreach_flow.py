"""`proactive-outreach` end to end: stored error events → one ticket per customer and
error in the sandbox, exactly once across reruns, a lost answer and a crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from care.domain.error_events import ErrorEvent
from care.store import Store
from flows.outreach import proactive_outreach
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import configure, configure_freshdesk

pytestmark = pytest.mark.usefixtures("prefect_server")


def event(event_id: str, email: str | None, fingerprint: str = "4512", **fields) -> ErrorEvent:
    values = {
        "source": "sentry",
        "event_id": event_id,
        "fingerprint": fingerprint,
        "customer_email": email,
        "customer_id": None,
        "title": "Checkout failed: PaymentError",
        "message": "Checking out fails with an error when paying by card",
        "url": "https://app.acme.test/checkout/pay",
        "error_code": "payment_error",
        "occurred_at": datetime.now(UTC) - timedelta(minutes=2),
    }
    return ErrorEvent(**(values | fields))


def store_events(database_url: str, *events: ErrorEvent) -> None:
    with Store.open(database_url) as store:
        for e in events:
            store.record_error_event(e, datetime.now(UTC))


def test_a_burst_of_one_error_opens_one_ticket_per_customer(monkeypatch, tmp_path, database_url):
    with ZendeskSandbox(tickets=10, seed=2) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        store_events(
            database_url,
            *(event(f"a{i}", "ada@example.com") for i in range(5)),  # the burst
            event("b1", "bob@example.com"),
            event("n1", None),  # names no customer e-mail
            event("c1", "cy@example.com", occurred_at=datetime.now(UTC) - timedelta(days=2)),
        )
        first = proactive_outreach()
        again = proactive_outreach()
        created = sandbox.created_tickets()
        store_events(database_url, event("a9", "ada@example.com"))  # later the same day
        later = proactive_outreach()
        assert sandbox.created_tickets() == created
    assert first.opened == 2 and len(created) == 2 and not first.failed
    assert first.outcomes == {
        "contacted": 2,
        "skipped:duplicate": 4,
        "skipped:no_email": 1,
        "skipped:too_old": 1,
    }
    assert again.events == 0 and again.opened == 0
    assert later.outcomes == {"skipped:duplicate": 1}
    with Store.open(database_url) as store:
        assert store.outreach_counts() == {"opened": 2}
        assert store.pending_error_events(10) == []


def test_the_ticket_reads_what_happened_with_the_articles(monkeypatch, tmp_path, database_url):
    with ZendeskSandbox(tickets=10, seed=2) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        store_events(database_url, event("a1", "ada@example.com"))
        proactive_outreach()
        (ticket_id,) = sandbox.created_tickets()
        ticket = sandbox.ticket(ticket_id)
        (comment,) = sandbox.comments(ticket_id)
    assert {"care_proactive", "care_outreach"} <= set(ticket["tags"])
    assert ticket["subject"] == "About the error you just met: Checkout failed: PaymentError"
    assert comment["public"] is False  # mode note: for an agent
    assert comment["body"].startswith("[CARE] Reach out first")
    assert "Checking out fails with an error" in comment["body"]  # the FAQ article


def test_a_customer_with_an_unsolved_ticket_is_not_contacted(monkeypatch, tmp_path, database_url):
    with ZendeskSandbox(tickets=10, seed=2) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        with Store.open(database_url) as store, store._write() as conn:
            conn.execute(
                text(
                    "INSERT INTO ticket_snapshots (helpdesk, ticket_id, requester_id, "
                    "requester_email, status, created_at, updated_at, tags, seen_at) VALUES "
                    "('zendesk', '7', 'u7', 'Ada@Example.com', 'open', :t, :t, '[]', :t)"
                ),
                {"t": datetime.now(UTC)},
            )
        store_events(database_url, event("a1", "ada@example.com"))
        result = proactive_outreach()
        assert sandbox.created_tickets() == []
    assert result.outcomes == {"skipped:has_ticket": 1}


def test_a_crash_after_the_ticket_opened_opens_no_second_one(monkeypatch, tmp_path, database_url):
    with ZendeskSandbox(tickets=10, seed=2) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        store_events(database_url, event("a1", "ada@example.com"))

        def crash(*args, **kwargs):
            raise SystemExit("killed between opening the ticket and recording it")

        with monkeypatch.context() as patch:
            patch.setattr(Store, "outreach_opened", crash)
            with pytest.raises(BaseException, match="killed"):
                proactive_outreach()
        assert len(sandbox.created_tickets()) == 1
        soon = proactive_outreach()  # the dead run's claim is not stale yet: left alone
        engine = create_engine(database_url)
        with engine.begin() as conn:  # ten minutes later
            conn.execute(
                text("UPDATE outreach SET claimed_at = :t"), {"t": datetime(2000, 1, 1, tzinfo=UTC)}
            )
        engine.dispose()
        recovered = proactive_outreach()
        assert len(sandbox.created_tickets()) == 1
    assert soon.opened == soon.found == 0
    assert recovered.found == 1 and recovered.opened == 0
    with Store.open(database_url) as store:
        assert store.outreach_counts() == {"opened": 1}


def test_zendesk_reply_mode_writes_to_the_customer_once_through_a_lost_answer(
    monkeypatch, tmp_path, database_url
):
    with ZendeskSandbox(tickets=10, seed=2) as sandbox:
        configure(
            monkeypatch,
            tmp_path,
            sandbox,
            database_url,
            '[rules.proactive_outreach]\nmode = "reply"\n',
        )
        store_events(database_url, event("a1", "ada@example.com"), event("b1", "bob@example.com"))
        sandbox.inject("lost_502@/api/v2/tickets")  # the first creation's answer is lost
        result = proactive_outreach()
        created = sandbox.created_tickets()
        tickets = [sandbox.ticket(t) for t in created]
        comments = [sandbox.comments(t) for t in created]
        users = [sandbox.store.user_fields(t["requester_id"]) for t in tickets]
        looked_up = ("GET", "/api/v2/tickets") in sandbox.requests_log
    assert result.opened + result.found == 2 and not result.failed
    assert looked_up  # by external_id, after the lost answer
    assert len(created) == 2  # the lost answer opened no second ticket
    assert sorted(u[1] for u in users) == ["ada@example.com", "bob@example.com"]
    for ticket, (comment,) in zip(tickets, comments, strict=True):
        assert ticket["external_id"]  # the contact's key: how a lost answer is found
        assert {"care_proactive", "care_outreach"} <= set(ticket["tags"])
        assert comment["public"] is True  # mode reply: Zendesk e-mails it to the customer
        assert comment["author_id"] != ticket["requester_id"]  # written by the agent
        assert comment["body"].startswith("Hello,\n\nWe saw that something went wrong")
        assert "Checking out fails with an error" in comment["body"]  # the FAQ article
        assert "[CARE]" not in comment["body"]


@pytest.mark.parametrize("mode", ["reply", "note"])
def test_freshdesk_opens_the_ticket_in_either_mode(monkeypatch, tmp_path, database_url, mode):
    with FreshdeskSandbox(tickets=10, seed=2) as sandbox:
        toml = f'[rules.proactive_outreach]\nmode = "{mode}"\n'
        configure_freshdesk(monkeypatch, tmp_path, sandbox, database_url, toml)
        store_events(database_url, event("a1", "ada@example.com"), event("a2", "ada@example.com"))
        sandbox.inject("lost_502@/api/v2/tickets")  # the creation's answer is lost
        result = proactive_outreach()
        (ticket_id,) = sandbox.created_tickets()
        ticket = sandbox.ticket(ticket_id)
        notes = sandbox.notes(ticket_id)
    assert result.opened + result.found == 1 and not result.failed
    assert ticket["source"] == (10 if mode == "reply" else 2)
    assert [n["private"] for n in notes] == ([] if mode == "reply" else [True])


def test_care_status_counts_events_contacts_and_skips(monkeypatch, tmp_path, database_url):
    from rich.console import Console

    from care.app.status import read_status, status_json
    from care.app.status_text import print_status

    with ZendeskSandbox(tickets=10, seed=2) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        store_events(
            database_url,
            event("a1", "ada@example.com"),
            event("a2", "ada@example.com"),
            event("n1", None),
        )
        proactive_outreach()
        store_events(database_url, event("b1", "bob@example.com"))  # not judged yet
    status = read_status(database_url, ["zendesk"], datetime.now(UTC))
    console = Console(record=True, width=200)
    print_status(console, status)
    text = console.export_text()
    assert "error events: 4 in, 1 waiting · contacted 1 · tickets opened 1" in text
    assert "skipped: duplicate 1, no email 1" in text
    assert status_json(status)["outreach"] == {
        "error_events": {
            "new": 1,
            "done:contacted": 1,
            "done:skipped:duplicate": 1,
            "done:skipped:no_email": 1,
        },
        "contacts": {"opened": 1},
    }


def test_the_customer_writing_in_later_gets_the_outreach_ticket_named(
    monkeypatch, tmp_path, database_url
):
    from care.settings.load import load_settings
    from connectors.registry import open_helpdesk
    from flows.poll import poll_helpdesk
    from flows.report import care_report

    with ZendeskSandbox(tickets=10, seed=2) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        poll_helpdesk(helpdesk="zendesk")
        store_events(database_url, event("a1", "ada@example.com"))
        proactive_outreach()
        (outreach_id,) = sandbox.created_tickets()
        client = open_helpdesk(load_settings().helpdesk("zendesk"))
        written = client.http.post(  # the customer writes in, as by e-mail
            "/api/v2/tickets",
            {
                "ticket": {
                    "subject": "I cannot pay",
                    "comment": {"body": "The checkout keeps failing when I pay."},
                    "requester": {"email": "ada@example.com", "name": "Ada"},
                }
            },
        )["ticket"]["id"]
        client.close()
        sandbox.advance(61)  # Zendesk's export shows changes a minute old
        poll_helpdesk(helpdesk="zendesk")
        notes = [c["body"] for c in sandbox.comments(written) if c["body"].startswith("[CARE]")]
        outreach_notes = [c["body"] for c in sandbox.comments(outreach_id)]
        tags = sandbox.ticket(written)["tags"]
        report = care_report(days=7, out_dir=str(tmp_path / "reports"))
    assert "## Proactive outreach" in report.markdown
    assert "Product errors met: 1 error event naming 1 customer" in report.markdown
    assert "Reached out first: 1 ticket opened for customers" in report.markdown
    assert "Wrote in anyway within 3 days: 1 of 1 (100 %)" in report.markdown
    assert "Wrote in anyway within 3 days: 1 of 1" in report.html_path.read_text()
    (note,) = notes
    assert note.startswith("[CARE]") and f"zendesk #{outreach_id}" in note
    assert "We reached out first" in note and "care_proactive" in tags
    assert len(outreach_notes) == 1  # the outreach ticket: no greeting, no second list


def test_events_a_dead_run_claimed_wait_for_its_claim_to_go_stale(
    monkeypatch, tmp_path, database_url
):
    with ZendeskSandbox(tickets=10, seed=2) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        store_events(database_url, event("a1", "ada@example.com"))

        def killed(*args, **kwargs):
            raise SystemExit("killed after claiming the events")

        with monkeypatch.context() as patch:
            patch.setattr("flows.outreach.decide_batch", killed)
            with pytest.raises(BaseException, match="killed"):
                proactive_outreach()
        meanwhile = proactive_outreach()  # another run: the events are not its to judge
        engine = create_engine(database_url)
        with engine.begin() as conn:  # ten minutes later
            conn.execute(
                text("UPDATE error_events SET claimed_at = :t"),
                {"t": datetime(2000, 1, 1, tzinfo=UTC)},
            )
        engine.dispose()
        after = proactive_outreach()
        created = sandbox.created_tickets()
    assert meanwhile.events == 0 and after.events == 1
    assert after.opened == 1 and len(created) == 1
