"""Resolve: the response SLA, the two-interactions escalation and passed-around tickets."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from care.domain.actions import Action
from care.domain.model import Priority, Status, Ticket
from care.domain.rules.resolve import passed_around, response_sla, two_interactions
from tests.rules.builders import DAY, HOUR, NOW, policy, ticket, unanswered

MIN = timedelta(minutes=1)


def tags_of(actions: list[Action]) -> set[str]:
    return {tag for a in actions for tag in a.add_tags}


# --- resolve.response_sla -----------------------------------------------------------


def kinds(actions: list[Action]) -> list[str]:
    """Each action's variant without the wait it is keyed by: "warning", "breached"…"""
    return [a.variant.split(":")[0] for a in actions]


def test_23_h_59_min_without_a_reply_is_a_warning_not_a_breach() -> None:
    actions = response_sla(unanswered(24 * HOUR - MIN), policy(), NOW)
    assert [(a.variant, a.add_tags) for a in actions] == [
        ("warning:20250304T120100Z", {"care_sla_warning"})
    ]
    assert actions[0].note is None
    assert actions[0].reason == "waiting 23 h 59 min for a first agent reply; target 24 h"


def test_24_h_01_min_without_a_reply_is_breached_with_a_note() -> None:
    actions = response_sla(unanswered(24 * HOUR + MIN), policy(), NOW)
    assert [a.variant for a in actions] == ["breached:20250304T115900Z"]
    breached = actions[0]
    assert breached.add_tags == {"care_sla_breached"}
    assert breached.note is not None and breached.note.template == "resolve.response_sla"
    assert breached.note.fields["target"] == "24 h"
    assert breached.note.fields["elapsed"] == "24 h 1 min"
    assert breached.note.fields["since"] == "2025-03-04 11:59 UTC"
    assert breached.reason == "waiting 24 h 1 min for a first agent reply; target 24 h"


def test_a_breach_notifies_the_alert_channel_and_a_warning_does_not() -> None:
    [warning] = response_sla(unanswered(24 * HOUR - MIN), policy(), NOW)
    [breached] = response_sla(unanswered(24 * HOUR + MIN), policy(), NOW)
    assert (warning.notify, breached.notify) == (False, True)


def test_exactly_on_target_is_not_yet_breached() -> None:
    actions = response_sla(unanswered(24 * HOUR), policy(), NOW)
    assert tags_of(actions) == {"care_sla_warning"}


@pytest.mark.parametrize(
    ("age", "tags"),
    [
        (18 * HOUR - MIN, set()),
        (18 * HOUR, {"care_sla_warning"}),
        (18 * HOUR + MIN, {"care_sla_warning"}),
    ],
    ids=["17h59", "18h00", "18h01"],
)
def test_warning_starts_at_75_percent_of_the_target(age: timedelta, tags: set[str]) -> None:
    assert tags_of(response_sla(unanswered(age), policy(), NOW)) == tags


@pytest.mark.parametrize("status", [Status.PENDING, Status.HOLD, Status.SOLVED, Status.CLOSED])
def test_tickets_not_awaiting_an_agent_do_not_run_the_clock(status: Status) -> None:
    assert response_sla(unanswered(3 * DAY, status=status), policy(), NOW) == []


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN])
def test_new_and_open_tickets_run_the_clock(status: Status) -> None:
    actions = response_sla(unanswered(3 * DAY, status=status), policy(), NOW)
    assert "care_sla_breached" in tags_of(actions)


def test_each_priority_has_its_own_target() -> None:
    p = policy(response_sla={"targets_by_priority": {"urgent": 4}})
    urgent = unanswered(4 * HOUR + MIN, priority=Priority.URGENT)
    normal = unanswered(4 * HOUR + MIN, priority=Priority.NORMAL)
    [breached] = response_sla(urgent, p, NOW)
    assert breached.note is not None and breached.note.fields["target"] == "4 h"
    assert response_sla(normal, p, NOW) == []


def test_requester_writing_after_the_agent_restarts_the_wait_from_their_message() -> None:
    t = ticket(
        created_at=NOW - 5 * DAY,
        first_agent_reply_at=NOW - 4 * DAY,
        last_agent_reply_at=NOW - 3 * DAY,
        last_requester_message_at=NOW - 25 * HOUR,
        agent_replies=2,
    )
    actions = response_sla(t, policy(), NOW)
    assert "care_sla_breached" in tags_of(actions)
    assert "for a reply to their latest message" in actions[0].reason
    assert "25 h" in actions[0].reason


def test_agent_replied_last_means_nobody_waits_for_an_agent() -> None:
    t = ticket(
        created_at=NOW - 5 * DAY,
        first_agent_reply_at=NOW - 4 * DAY,
        last_agent_reply_at=NOW - 3 * DAY,
        last_requester_message_at=NOW - 4 * DAY + HOUR,
    )
    assert response_sla(t, policy(), NOW) == []


def test_business_hours_stop_the_clock_over_the_weekend() -> None:
    friday_4pm = datetime(2025, 3, 7, 16, tzinfo=UTC)
    monday_10am = datetime(2025, 3, 10, 10, tzinfo=UTC)
    t = unanswered(timedelta(0), created_at=friday_4pm, last_requester_message_at=friday_4pm)
    nine_to_five = {"timezone": "UTC", "start": time(9), "end": time(17)}
    p = policy(business_hours=nine_to_five, response_sla={"target_hours": 2.5})
    [warning] = response_sla(t, p, monday_10am)  # 2 h counted: warned, not breached
    assert warning.reason == (
        "waiting 2 h (business hours) for a first agent reply; target 2 h 30 min"
    )
    wall_clock = policy(response_sla={"target_hours": 2.5})
    assert "care_sla_breached" in tags_of(response_sla(t, wall_clock, monday_10am))


def test_business_hours_are_named_in_the_reason_and_note() -> None:
    t = unanswered(10 * DAY)
    p = policy(business_hours={"timezone": "Europe/Berlin"})
    [breached] = response_sla(t, p, NOW)
    assert "business hours" in breached.reason
    assert breached.note is not None and breached.note.fields["business_hours"] is True
    assert breached.note.fields["since"] == "2025-02-23 13:00 CET"


def test_a_breached_wait_is_decided_under_the_same_key_at_every_poll() -> None:
    t = unanswered(3 * DAY)
    first = response_sla(t, policy(), NOW)
    later = response_sla(t, policy(), NOW + HOUR)
    assert [a.key for a in first] == [a.key for a in later]  # the action log keeps one


def test_a_breach_takes_the_warning_off() -> None:
    [breached] = response_sla(unanswered(3 * DAY, tags={"care_sla_warning"}), policy(), NOW)
    assert kinds([breached]) == ["breached"]
    assert breached.add_tags == {"care_sla_breached"}
    assert breached.remove_tags == {"care_sla_warning"}


def answered_after_a_breach(**overrides: Any) -> Ticket:
    fields: dict[str, Any] = {
        "created_at": NOW - 3 * DAY,
        "first_agent_reply_at": NOW - HOUR,
        "last_agent_reply_at": NOW - HOUR,
        "last_requester_message_at": NOW - 3 * DAY,
        "agent_replies": 1,
        "tags": {"care_sla_breached", "vip", "agent_label"},
    }
    return ticket(**(fields | overrides))


def test_an_answer_ends_the_wait_and_takes_both_sla_tags_off_and_nothing_else() -> None:
    [cleared] = response_sla(answered_after_a_breach(), policy(), NOW)
    assert kinds([cleared]) == ["ended"]
    assert cleared.add_tags == set() and cleared.remove_tags == {"care_sla_breached"}
    assert cleared.note is None and not cleared.notify


@pytest.mark.parametrize("status", [Status.PENDING, Status.HOLD, Status.SOLVED])
def test_a_ticket_that_stops_waiting_for_an_agent_loses_its_sla_tags(status: Status) -> None:
    t = unanswered(3 * DAY, status=status, tags={"care_sla_warning", "vip"})
    [cleared] = response_sla(t, policy(), NOW)
    assert cleared.remove_tags == {"care_sla_warning"} and cleared.add_tags == set()


def test_the_next_wait_is_timed_again_and_breaches_under_its_own_key() -> None:
    first = unanswered(3 * DAY)
    [first_breach] = response_sla(first, policy(), NOW)
    second = answered_after_a_breach(
        last_agent_reply_at=NOW - 2 * DAY,
        last_requester_message_at=NOW - 25 * HOUR,
        waiting_since=NOW - 25 * HOUR,
    )
    [second_breach] = response_sla(second, policy(), NOW)
    assert kinds([second_breach]) == ["breached"] and second_breach.key != first_breach.key
    assert second_breach.note is not None and second_breach.notify
    assert "for a reply to their latest message" in second_breach.reason


def test_a_new_wait_in_time_takes_the_last_wait_s_tag_off() -> None:
    t = answered_after_a_breach(
        last_agent_reply_at=NOW - 2 * HOUR, last_requester_message_at=NOW - HOUR
    )
    [cleared] = response_sla(t, policy(), NOW)
    assert kinds([cleared]) == ["cleared"] and cleared.remove_tags == {"care_sla_breached"}


def test_a_wait_without_sla_tags_and_in_time_decides_nothing() -> None:
    assert response_sla(unanswered(HOUR), policy(), NOW) == []
    assert response_sla(answered_after_a_breach(tags=set()), policy(), NOW) == []


# --- resolve.two_interactions -------------------------------------------------------


def unsolved_after_two_replies(**overrides: Any) -> Ticket:
    fields: dict[str, Any] = {
        "created_at": NOW - 3 * DAY,
        "first_agent_reply_at": NOW - 2 * DAY,
        "last_agent_reply_at": NOW - DAY,
        "last_requester_message_at": NOW - HOUR,
        "agent_replies": 2,
        "group_id": "20",
    }
    fields.update(overrides)
    return ticket(**fields)


def test_requester_writing_again_after_two_replies_is_escalated() -> None:
    p = policy(two_interactions={"call_booking_url": "https://cal.example.com/support"})
    [action] = two_interactions(unsolved_after_two_replies(), p, NOW)
    assert action.add_tags == {"care_escalated"}
    assert action.set_priority is Priority.URGENT
    assert action.set_group is None  # no escalation group configured
    assert action.notify is True
    assert action.note is not None and action.note.template == "resolve.two_interactions"
    assert action.note.fields["call_booking_url"] == "https://cal.example.com/support"
    assert "after 2 agent replies" in action.reason


def test_agent_replied_last_is_not_escalated() -> None:
    t = unsolved_after_two_replies(last_requester_message_at=NOW - 2 * DAY)
    assert two_interactions(t, policy(), NOW) == []


def test_one_agent_reply_is_not_enough() -> None:
    assert two_interactions(unsolved_after_two_replies(agent_replies=1), policy(), NOW) == []


@pytest.mark.parametrize("status", [Status.SOLVED, Status.CLOSED])
def test_solved_ticket_is_not_escalated(status: Status) -> None:
    assert two_interactions(unsolved_after_two_replies(status=status), policy(), NOW) == []


def test_a_pending_ticket_the_requester_answered_is_escalated() -> None:
    t = unsolved_after_two_replies(status=Status.PENDING)
    assert len(two_interactions(t, policy(), NOW)) == 1


def test_escalation_group_is_set_only_when_configured_and_different() -> None:
    p = policy(two_interactions={"escalation_group_id": "99"})
    [moved] = two_interactions(unsolved_after_two_replies(), p, NOW)
    assert moved.set_group == "99"
    [stays] = two_interactions(unsolved_after_two_replies(group_id="99"), p, NOW)
    assert stays.set_group is None


def test_an_urgent_ticket_keeps_its_priority_unchanged() -> None:
    [action] = two_interactions(unsolved_after_two_replies(priority=Priority.URGENT), policy(), NOW)
    assert action.set_priority is None


def test_an_escalated_ticket_is_not_escalated_again() -> None:
    t = unsolved_after_two_replies(tags={"care_escalated"})
    assert two_interactions(t, policy(), NOW) == []


# --- resolve.passed_around ----------------------------------------------------------


def test_three_group_hops_is_passed_around() -> None:
    t = ticket(group_hops=4, assignee_hops=1, group_id="20", assignee_id="7")
    [action] = passed_around(t, policy(), NOW)
    assert action.add_tags == {"care_passed_around"}
    assert action.note is not None
    assert dict(action.note.fields) == {
        "group_hops": 4,
        "assignee_hops": 1,
        "group_id": "20",
        "assignee_id": "7",
    }
    assert action.reason == "the ticket moved between groups 4 times and between assignees 1 time"


def test_three_assignee_hops_is_passed_around() -> None:
    assert len(passed_around(ticket(assignee_hops=3), policy(), NOW)) == 1


def test_two_hops_each_is_not() -> None:
    assert passed_around(ticket(group_hops=2, assignee_hops=2), policy(), NOW) == []


def test_passed_around_thresholds_are_configurable() -> None:
    p = policy(passed_around={"min_group_hops": 2})
    assert len(passed_around(ticket(group_hops=2), p, NOW)) == 1
    assert passed_around(ticket(group_hops=9, tags={"care_passed_around"}), p, NOW) == []
