"""evaluate(): every enabled rule on one ticket, in SPEC order."""

from __future__ import annotations

from care.domain.faq import FaqIndex
from care.domain.model import Priority, Status, Ticket
from care.domain.rules import RULES, evaluate, rules
from tests.rules.builders import DAY, HOUR, NOW, policy, unanswered

SPEC_ORDER = [
    "connect.greeting",
    "connect.loyal_customer",
    "assist.faq",
    "assist.repeat_contact",
    "assist.error_page",
    "assist.proactive_outreach",
    "resolve.response_sla",
    "resolve.two_interactions",
    "resolve.passed_around",
    "enhance.survey",
]

INDEX = FaqIndex.load()


def busy_ticket() -> Ticket:
    return unanswered(
        2 * DAY,
        subject="How do I reset my password?",
        description="The reset link never arrives.",
        requester={"created_at": NOW - 1000 * DAY},
        tags={"error_page"},
        group_hops=3,
    )


def test_rules_are_listed_in_spec_order() -> None:
    assert list(RULES) == SPEC_ORDER
    assert list(rules(INDEX)) == SPEC_ORDER


def test_every_firing_rule_contributes_in_order() -> None:
    actions = evaluate(busy_ticket(), policy(), NOW, INDEX)
    assert [(a.rule, a.variant) for a in actions] == [
        ("connect.greeting", ""),
        ("connect.loyal_customer", ""),
        ("assist.faq", ""),
        ("assist.error_page", ""),
        ("resolve.response_sla", "breached:20250303T120000Z"),
        ("resolve.passed_around", ""),
    ]
    assert len({a.key for a in actions}) == len(actions)


def test_the_sla_is_judged_at_the_priority_this_poll_raises_the_ticket_to() -> None:
    p = policy(response_sla={"targets_by_priority": {"high": 4}})
    from_error_page = unanswered(5 * HOUR, priority=Priority.NORMAL, tags={"error_page"})
    sla = [a for a in evaluate(from_error_page, p, NOW, None) if a.rule == "resolve.response_sla"]
    [breached] = sla  # 5 h against high's 4 h, not normal's 24 h
    assert breached.variant.startswith("breached:")
    assert breached.note is not None and breached.note.fields["priority"] == "high"
    assert breached.note.fields["target"] == "4 h"
    unraised = policy(
        response_sla={"targets_by_priority": {"high": 4}}, disabled=("assist.error_page",)
    )
    assert [
        a
        for a in evaluate(from_error_page, unraised, NOW, None)
        if a.rule == "resolve.response_sla"
    ] == []


def test_a_disabled_rule_does_not_fire() -> None:
    p = policy(disabled=("assist.faq", "resolve.response_sla"))
    fired = {a.rule for a in evaluate(busy_ticket(), p, NOW, INDEX)}
    assert "assist.faq" not in fired and "resolve.response_sla" not in fired
    assert "connect.greeting" in fired


def test_without_a_faq_index_the_faq_rule_is_silent() -> None:
    fired = {a.rule for a in evaluate(busy_ticket(), policy(), NOW, None)}
    assert "assist.faq" not in fired


def test_a_solved_ticket_only_gets_its_survey_and_lasting_tags() -> None:
    t = unanswered(2 * DAY, status=Status.SOLVED, solved_at=NOW - DAY)
    assert [a.rule for a in evaluate(t, policy(), NOW, INDEX)] == ["enhance.survey"]


def test_a_read_only_closed_ticket_is_not_changed_but_still_surveyed() -> None:
    from tests.rules.builders import requester, ticket

    closed = ticket(
        status=Status.CLOSED,
        solved_at=NOW - 2 * DAY,
        requester=requester(created_at=NOW - 1000 * DAY),
        read_only=True,  # a closed Zendesk ticket
    )
    assert [a.rule for a in evaluate(closed, policy(), NOW, None)] == ["enhance.survey"]


def test_a_closed_ticket_the_helpdesk_still_writes_to_gets_its_tags() -> None:
    from tests.rules.builders import requester, ticket

    closed = ticket(  # a closed Freshdesk ticket: notes and tags are still taken
        status=Status.CLOSED,
        solved_at=NOW - 2 * DAY,
        requester=requester(created_at=NOW - 1000 * DAY),
    )
    fired = [a.rule for a in evaluate(closed, policy(), NOW, None)]
    assert "connect.loyal_customer" in fired and "enhance.survey" in fired
