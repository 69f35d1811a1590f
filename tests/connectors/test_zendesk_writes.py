"""How changes become Zendesk calls: identical changes share bulk calls of ≤ 100 ids."""

from __future__ import annotations

from care.model import Priority
from connectors.base import Change
from connectors.zendesk.writes import plan_calls


def test_identical_tag_changes_share_one_bulk_call_per_hundred_tickets():
    changes = [
        Change(ref=i, ticket_id=str(i), add_tags=frozenset({"care_greeted"})) for i in range(250)
    ]
    calls = plan_calls(changes)
    assert len(calls) == 3
    assert [len(c.params["ids"].split(",")) for c in calls] == [100, 100, 50]
    assert calls[0].body == {"ticket": {"additional_tags": ["care_greeted"]}}


def test_different_changes_are_not_merged():
    changes = [
        Change(
            ref=1,
            ticket_id="1",
            add_tags=frozenset({"care_escalated"}),
            set_priority=Priority.URGENT,
        ),
        Change(ref=2, ticket_id="2", add_tags=frozenset({"care_escalated"})),
    ]
    bodies = [c.body for c in plan_calls(changes)]
    assert {"ticket": {"additional_tags": ["care_escalated"], "priority": "urgent"}} in bodies
    assert {"ticket": {"additional_tags": ["care_escalated"]}} in bodies


def test_two_notes_for_one_ticket_go_in_separate_batch_calls_as_private_comments():
    changes = [
        Change(ref=1, ticket_id="7", note="first"),
        Change(ref=2, ticket_id="7", note="second"),
        Change(ref=3, ticket_id="8", note="third"),
    ]
    calls = plan_calls(changes)
    assert [sorted(c.refs) for c in calls] == [[1, 3], [2]]
    assert calls[0].body["tickets"][0] == {"id": 7, "comment": {"body": "first", "public": False}}


def test_a_change_with_fields_and_a_note_rides_in_both_calls():
    change = Change(ref=5, ticket_id="9", add_tags=frozenset({"care_sla_breached"}), note="late")
    calls = plan_calls([change])
    assert [c.refs for c in calls] == [[5], [5]]
