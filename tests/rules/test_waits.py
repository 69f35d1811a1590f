"""The requester's unanswered wait: a follow-up message must not restart the SLA clock."""

from __future__ import annotations

from care.domain.model import Previous, tracked_hops, waiting_since
from care.domain.rules.resolve import response_sla
from tests.rules.builders import HOUR, NOW, policy, ticket

AGENT_REPLY = NOW - 30 * HOUR


def answered_then_chased(last_message_age, **overrides):
    """An agent replied 30 h ago; the requester has written since (latest message given)."""
    fields = {
        "created_at": NOW - 40 * HOUR,
        "first_agent_reply_at": AGENT_REPLY,
        "last_agent_reply_at": AGENT_REPLY,
        "agent_replies": 1,
        "last_requester_message_at": NOW - last_message_age,
    }
    fields.update(overrides)
    return ticket(**fields)


def test_a_new_wait_starts_at_the_requesters_message():
    t = answered_then_chased(2 * HOUR)
    assert waiting_since(t, None) == NOW - 2 * HOUR
    assert waiting_since(t, Previous(AGENT_REPLY, None)) == NOW - 2 * HOUR


def test_a_follow_up_keeps_the_start_of_the_wait_seen_before():
    t = answered_then_chased(1 * HOUR)  # "any news?" an hour ago
    assert waiting_since(t, Previous(AGENT_REPLY, NOW - 25 * HOUR)) == NOW - 25 * HOUR


def test_an_agent_reply_in_between_starts_a_new_wait():
    newer_reply = NOW - 3 * HOUR
    t = answered_then_chased(1 * HOUR, last_agent_reply_at=newer_reply, agent_replies=2)
    assert waiting_since(t, Previous(AGENT_REPLY, NOW - 25 * HOUR)) == NOW - 1 * HOUR


def test_no_wait_while_the_agent_spoke_last_or_before_any_reply():
    assert (
        waiting_since(answered_then_chased(31 * HOUR), Previous(AGENT_REPLY, NOW - 40 * HOUR))
        is None
    )
    unanswered = ticket(agent_replies=0, last_agent_reply_at=None, first_agent_reply_at=None)
    assert waiting_since(unanswered, None) is None


def test_sla_runs_from_the_start_of_the_wait_not_from_the_latest_follow_up():
    chased = answered_then_chased(1 * HOUR, waiting_since=NOW - 25 * HOUR)
    rules_fired = {a.variant.split(":")[0] for a in response_sla(chased, policy(), NOW)}
    assert rules_fired == {"breached"}
    assert response_sla(answered_then_chased(1 * HOUR), policy(), NOW) == []


def test_hops_seen_between_polls_are_counted_and_a_first_assignment_is_not_one():
    first = ticket(group_id="1", group_hops=0)
    assert tracked_hops(first, Previous(group_id=None)) == (0, 0)
    moved = ticket(group_id="2", group_hops=0, assignee_id="a", assignee_hops=0)
    assert tracked_hops(moved, Previous(group_id="1", group_hops=2, assignee_id="a")) == (3, 0)
    assert tracked_hops(moved, None) == (0, 0)


def test_hops_the_helpdesk_counts_itself_are_never_lowered():
    counted = ticket(group_id="2", group_hops=5)
    assert tracked_hops(counted, Previous(group_id="2", group_hops=1)) == (5, 0)
