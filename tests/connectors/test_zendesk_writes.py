"""Planning Zendesk writes: one batch item per ticket with everything decided for it."""

from datetime import UTC, datetime

from care.domain.model import Priority
from connectors.base import Change
from connectors.zendesk.writes import plan_calls

READ_AT = datetime(2026, 12, 6, 9, 30, 5, tzinfo=UTC)


def test_changes_go_one_item_per_ticket_a_hundred_tickets_a_call():
    changes = [
        Change(ref=i, ticket_id=str(i), add_tags=frozenset({"care_greeted"}), base_tags=frozenset())
        for i in range(250)
    ]
    calls = plan_calls(changes)
    assert [len(c.body["tickets"]) for c in calls] == [100, 100, 50]
    assert all(c.params is None for c in calls)  # the batch form, not ?ids=


def test_everything_decided_for_a_ticket_is_one_item_with_one_private_note():
    change = Change(
        ref=1,
        ticket_id="28",
        add_tags=frozenset({"care_escalated", "care_sla_breached"}),
        remove_tags=frozenset({"care_sla_warning"}),
        set_priority=Priority.URGENT,
        set_group="7",
        note="[CARE] Escalate: not solved in two interactions · resolve.two_interactions",
        base_tags=frozenset({"vip", "agent_said_so", "care_sla_warning"}),
        stamp=READ_AT,
    )
    (call,) = plan_calls([change])
    (item,) = call.body["tickets"]
    assert item == {
        "id": 28,
        "tags": ["agent_said_so", "vip", "care_escalated", "care_sla_breached"],
        "safe_update": True,
        "updated_stamp": "2026-12-06T09:30:05Z",
        "priority": "urgent",
        "group_id": 7,
        "comment": {"body": change.note, "public": False},
    }
    assert call.notes == [change]


def test_tags_already_as_wanted_are_not_sent_and_need_no_stamp():
    change = Change(
        ref=1,
        ticket_id="5",
        add_tags=frozenset({"care_greeted"}),
        note="hello",
        base_tags=frozenset({"care_greeted"}),
        stamp=READ_AT,
    )
    (item,) = plan_calls([change])[0].body["tickets"]
    assert item == {"id": 5, "comment": {"body": "hello", "public": False}}


def test_two_changes_of_one_ticket_go_in_separate_calls():
    notes = [Change(ref=i, ticket_id="5", note=f"note {i}") for i in (1, 2)]
    calls = plan_calls(notes)
    assert len(calls) == 2
    assert [c.body["tickets"][0]["comment"]["body"] for c in calls] == ["note 1", "note 2"]
