"""The outreach lookups take the addresses of a whole page or batch: one no database can
hold (a lone surrogate, a NUL) must match nothing, not fail the lookup for the rest."""

from __future__ import annotations

from datetime import UTC, datetime

from care.domain.rules.outreach import CustomerHistory
from care.store import Store

T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_an_address_no_database_can_hold_matches_nothing(store: Store) -> None:
    hostile = ["ana\ud800@example.com", "nul\0@example.com"]
    assert store.proactive_contacts([*hostile, "bob@example.com"], T0) == {}
    histories = store.customer_histories([(e, "4512") for e in [*hostile, "bob@example.com"]])
    assert histories == {("bob@example.com", "4512"): CustomerHistory()}
