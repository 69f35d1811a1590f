"""The metric computation on hand-built group counts (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from care.domain.metrics import (
    NO_GROUP,
    GroupActivity,
    Rate,
    SurveyCounts,
    Thresholds,
    TicketCounts,
    WaitCounts,
    percentile,
)
from care.domain.policy import PassedAround, Policy, Rules, TwoInteractions
from care.domain.report import build_report

END = datetime(2026, 3, 8, tzinfo=UTC)
START = END - timedelta(days=7)
H = 3600.0


WAIT_FIELDS = ("first_reply", "first_reply_breached", "next_reply", "next_reply_breached")


def group(helpdesk: str, group_id: str | None, *hours: float, **counts: int) -> GroupActivity:
    survey_fields = {k: counts.pop(k) for k in ("sent", "answered", "solved") if k in counts}
    wait_fields = {k: counts.pop(k) for k in WAIT_FIELDS if k in counts}
    counts.setdefault("tickets", max(len(hours), 1))
    return GroupActivity(
        helpdesk,
        group_id,
        TicketCounts(**counts),
        SurveyCounts(**survey_fields),
        tuple(h * H for h in hours),
        WaitCounts(**wait_fields),
    )


def test_median_and_p90_of_one_to_ten() -> None:
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.5) == pytest.approx(5.5)
    assert percentile(values, 0.9) == pytest.approx(9.1)  # 9 + 0.1 × (10 − 9)


def test_percentiles_of_one_and_of_no_values() -> None:
    assert percentile([42.0], 0.9) == 42.0
    assert percentile([], 0.5) is None


def test_rates_divide_by_their_own_denominators() -> None:
    activity = GroupActivity(
        "zendesk",
        "7",
        TicketCounts(
            tickets=10,
            escalated=1,
            solved=4,
            solved_within=3,
            reopened=5,
            passed_around=1,
            hops=6,
        ),
        SurveyCounts(sent=8, answered=2, solved=1),
        (H, 2 * H),
        WaitCounts(first_reply=9, first_reply_breached=2, next_reply=6, next_reply_breached=1),
    )
    m = build_report([activity], START, END).overall.metrics
    assert (m.tickets, m.answered) == (10, 2)
    assert m.first_reply_breached == Rate(2, 9)  # out of the first-reply waits
    assert m.next_reply_breached == Rate(1, 6)  # out of the next-reply waits
    assert m.breached == Rate(3, 15)  # breached waits out of every wait, not out of tickets
    assert m.escalated.value == pytest.approx(0.1)
    assert m.solved_within == Rate(3, 4)  # out of the solved tickets, not all ten
    assert m.reopened.value == pytest.approx(0.5)
    assert m.passed_around.value == pytest.approx(0.1)
    assert m.hops_per_ticket == pytest.approx(0.6)
    assert m.survey_response == Rate(2, 8)  # answers out of surveys sent
    assert m.survey_solved == Rate(1, 2)  # "solved" out of answers


def test_helpdesk_totals_add_counts_and_pool_the_response_times() -> None:
    report = build_report(
        [
            group("zendesk", "1", 1, 2, first_reply=4, first_reply_breached=1, tickets=4),
            group("zendesk", "2", 10, tickets=1, next_reply=3, next_reply_breached=2),
            group("freshdesk", "1", 3, tickets=5, first_reply=5, first_reply_breached=5),
        ],
        START,
        END,
    )
    zendesk = next(h.total for h in report.helpdesks if h.total.helpdesk == "zendesk")
    assert zendesk.metrics.first_reply_breached == Rate(1, 4)
    assert zendesk.metrics.next_reply_breached == Rate(2, 3)
    assert zendesk.metrics.breached == Rate(3, 7)
    assert zendesk.metrics.first_response_median == pytest.approx(2 * H)  # of 1, 2, 10 h
    assert zendesk.metrics.first_response_p90 == pytest.approx(8.4 * H)  # 2 + 0.8 × 8
    overall = report.overall.metrics
    assert overall.breached == Rate(8, 12)
    assert overall.first_reply_breached == Rate(6, 9)
    assert overall.first_response_median == pytest.approx(2.5 * H)  # of 1, 2, 3, 10 h


def test_groups_are_listed_in_id_order_with_no_group_last() -> None:
    report = build_report(
        [
            group("zendesk", None, 1),
            group("zendesk", "100", 1),
            group("zendesk", "9", 1),
            group("zendesk", "²", 1),
        ],
        START,
        END,
    )
    assert [g.group for g in report.groups] == ["9", "100", "²", NO_GROUP]
    assert [g.label for g in report.groups][-1] == "zendesk · (no group)"


def test_longest_waits_rank_groups_by_p90_and_skip_groups_nobody_answered() -> None:
    report = build_report(
        [
            group("zendesk", "1", 1, 1, 1, 1, 1, 1, 1, 1, 1, 30),  # p90 3.9 h, median 1 h
            group("zendesk", "2", 4, 5),  # p90 4.9 h
            group("zendesk", "3", 2),
            group("zendesk", "4", tickets=9),  # nobody answered yet
            group("freshdesk", "1", 1),
        ],
        START,
        END,
        top=3,
    )
    assert [g.label for g in report.longest_waits] == [
        "zendesk · 2",
        "zendesk · 1",
        "zendesk · 3",
    ]
    assert report.longest_waits[1].metrics.first_response_p90 == pytest.approx(3.9 * H)


def test_groups_whose_tickets_nobody_answered_are_named_apart() -> None:
    report = build_report(
        [group("zendesk", "1", 2), group("zendesk", "2", tickets=4), group("zendesk", None, 1)],
        START,
        END,
    )
    assert [g.label for g in report.never_answered] == ["zendesk · 2"]
    assert [g.group for g in report.longest_waits] == ["1", NO_GROUP]


def test_most_passed_around_ranks_by_rate_then_hops_and_skips_groups_with_none() -> None:
    report = build_report(
        [
            group("zendesk", "1", tickets=10, passed_around=2, hops=8),  # 20 %
            group("zendesk", "2", tickets=4, passed_around=2, hops=9),  # 50 %
            group("zendesk", "3", tickets=2, passed_around=1, hops=6),  # 50 %, 3 hops a ticket
            group("zendesk", "4", tickets=5, hops=4),  # moved, but nobody passed around
        ],
        START,
        END,
    )
    assert [g.group for g in report.most_passed_around] == ["3", "2", "1"]


def test_an_empty_window_has_no_tickets_and_no_rates() -> None:
    report = build_report([], START, END)
    m = report.overall.metrics
    assert report.no_tickets and report.helpdesks == () and report.longest_waits == ()
    assert (m.tickets, m.answered, m.first_response_median, m.first_response_p90) == (
        0,
        0,
        None,
        None,
    )
    assert all(
        r.value is None
        for r in (
            m.first_reply_breached,
            m.next_reply_breached,
            m.breached,
            m.escalated,
            m.solved_within,
            m.reopened,
            m.survey_response,
        )
    )
    assert m.hops_per_ticket is None
    assert report.days == 7


def test_thresholds_come_from_the_policy() -> None:
    policy = Policy(
        rules=Rules(
            two_interactions=TwoInteractions(min_agent_replies=3),
            passed_around=PassedAround(min_group_hops=4, min_assignee_hops=5),
        )
    )
    assert Thresholds.from_policy(policy) == Thresholds(3, 4, 5)
