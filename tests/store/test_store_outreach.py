"""The outreach lookups take the addresses of a whole page or batch: one no database can
hold (a lone surrogate, a NUL) must match nothing, not fail the lookup for the rest."""

from __future__ import annotations

from datetime import UTC, datetime

from care.domain.rules.outreach import CustomerHistory
from care.store import Store
from care.store.outreach import OutreachIntent

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_an_address_no_database_can_hold_matches_nothing(store: Store) -> None:
    hostile = ["ana\ud800@example.com", "nul\0@example.com"]
    assert store.proactive_contacts([*hostile, "bob@example.com"], T0) == {}
    histories = store.customer_histories([(e, "4512") for e in [*hostile, "bob@example.com"]])
    assert histories == {("bob@example.com", "4512"): CustomerHistory()}
    assert store.outreach_tickets([*hostile, "bob@example.com"]) == {}


def intent(key: str, email: str, fingerprint: str) -> OutreachIntent:
    return OutreachIntent(
        key=key,
        helpdesk="zendesk",
        customer_email=email,
        fingerprint=fingerprint,
        error_event_id=None,
        subject="About the error you just met",
        body="[CARE] Reach out first",
        public=False,
        tags=("care_outreach", "care_proactive"),
        facts="",
        intended_at=T0,
    )


def test_the_tickets_recorded_for_a_customer_are_the_opened_contacts(store: Store) -> None:
    held = [intent("k1", "ada@example.com", "1"), intent("k2", "ada@example.com", "2")]
    held.append(intent("k3", "bob@example.com", "1"))
    assert store.record_outreach(held, "run", T0) == {"k1", "k2", "k3"}
    store.outreach_opened("k1", "run", "101", T0)
    store.outreach_opened("k3", "run", "103", T0)
    found = store.outreach_tickets(["Ada@Example.com", "bob@example.com", "cy@example.com"])
    assert found == {"ada@example.com": {"101"}, "bob@example.com": {"103"}}
