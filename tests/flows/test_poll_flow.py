"""poll-helpdesk end to end: Prefect, the Zendesk sandbox over HTTP, a real store."""

from __future__ import annotations

from collections import Counter

import pytest

from care.domain.notes import refs_in
from care.store import Store
from flows.poll import poll_helpdesk
from sandboxes.zendesk import SCENARIOS, ZendeskSandbox
from tests.flows.environment import care_notes, configure, settled_past, update_calls

pytestmark = pytest.mark.usefixtures("prefect_server")


def sid(name: str) -> int:
    return SCENARIOS[name].ticket_id


@pytest.fixture
def sandbox():
    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sb:
        yield sb


def all_care_refs(sandbox: ZendeskSandbox) -> Counter[str]:
    """Every section ref of CARE's notes on the sandbox's tickets, with how often it shows."""
    return Counter(
        ref for t in range(1, 121) for body in care_notes(sandbox, t) for ref in refs_in(body)
    )


def test_poll_tags_escalates_and_notes_then_a_second_run_applies_nothing(
    sandbox, database_url, tmp_path, monkeypatch
):
    configure(
        monkeypatch,
        tmp_path,
        sandbox,
        database_url,
        '[rules.two_interactions]\nescalation_group_id = "360009"\n',
    )

    first = poll_helpdesk(helpdesk="zendesk")

    assert first.tickets == 120 and first.failed == 0
    escalated = sandbox.ticket(sid("two_interactions"))
    assert "care_escalated" in escalated["tags"]
    assert escalated["priority"] == "urgent" and escalated["group_id"] == 360009
    (note,) = care_notes(sandbox, sid("two_interactions"))
    assert note.startswith(
        "[CARE] Escalate: not solved in two interactions · resolve.two_interactions"
    )
    assert "care_sla_breached" in sandbox.ticket(sid("sla_breached_24h01"))["tags"]
    assert "care_loyal_customer" in sandbox.ticket(sid("loyal_customer"))["tags"]
    assert "care_loyal_customer" not in sandbox.ticket(sid("loyal_boundary_not_yet"))["tags"]
    assert first.new_actions["resolve.two_interactions"] >= 1

    sandbox.advance(61)  # our own updates become visible in the export
    sandbox.reset_log()
    second = poll_helpdesk(helpdesk="zendesk")

    assert second.tickets > 0  # the tickets we updated come round again...
    assert sum(second.new_actions.values()) == 0  # ...and nothing is decided twice
    assert update_calls(sandbox) == 0
    refs = all_care_refs(sandbox)
    assert refs and set(refs.values()) == {1}  # notes were posted, none of them twice


def test_dry_run_evaluates_everything_and_writes_nothing(
    sandbox, database_url, tmp_path, monkeypatch
):
    configure(monkeypatch, tmp_path, sandbox, database_url)
    summary = poll_helpdesk(helpdesk="zendesk", dry_run=True)
    assert summary.new_actions["resolve.two_interactions"] >= 1
    assert update_calls(sandbox) == 0
    assert "care_escalated" not in sandbox.ticket(sid("two_interactions"))["tags"]
    store = Store.open(database_url)
    try:
        assert store.cursor("zendesk") is None and store.actions_by_rule() == {}
    finally:
        store.close()


def test_a_crash_mid_stream_resumes_from_the_last_handled_page_without_duplicates(
    sandbox, database_url, tmp_path, monkeypatch
):
    configure(monkeypatch, tmp_path, sandbox, database_url, "[zendesk]\nper_page = 40\n")
    pages_recorded = 0
    original = Store.record_page

    def dies_on_the_second_page(self, *args, **kwargs):
        nonlocal pages_recorded
        pages_recorded += 1
        if pages_recorded == 2:
            raise RuntimeError("worker killed")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Store, "record_page", dies_on_the_second_page)
    with pytest.raises(RuntimeError, match="worker killed"):
        poll_helpdesk(helpdesk="zendesk")
    monkeypatch.setattr(Store, "record_page", original)

    resumed = poll_helpdesk(helpdesk="zendesk")

    assert resumed.tickets == 80  # pages 2 and 3 again, page 1 not re-read
    assert "care_escalated" in sandbox.ticket(sid("two_interactions"))["tags"]
    refs = all_care_refs(sandbox)
    assert refs and set(refs.values()) == {1}  # notes were posted, none of them twice
    store = Store.open(database_url)
    try:
        info = store.cursor_info("zendesk")
        assert info.last_error is None and info.cursor
    finally:
        store.close()


def test_a_refused_credential_fails_the_run_with_a_message_naming_it(
    sandbox, database_url, tmp_path, monkeypatch
):
    from connectors.errors import AuthError

    configure(monkeypatch, tmp_path, sandbox, database_url)
    monkeypatch.setenv("CARE_ZENDESK_CLIENT_SECRET", "revoked-secret")
    with pytest.raises(AuthError, match="CARE_ZENDESK_CLIENT_SECRET"):
        poll_helpdesk(helpdesk="zendesk")
    store = Store.open(database_url)
    try:
        info = store.cursor_info("zendesk")
        assert "CARE_ZENDESK_CLIENT_SECRET" in info.last_error
        assert "revoked-secret" not in info.last_error and info.cursor is None
    finally:
        store.close()
