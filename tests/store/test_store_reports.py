"""The report's queries on a seeded history, on SQLite and PostgreSQL.

The window is [START, END). Expected values are worked out by hand below from the
tickets, actions, waits, surveys and answers seeded in `history`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from care.domain.actions import Action
from care.domain.metrics import Rate, Scope, Thresholds
from care.domain.model import Status, Ticket
from care.domain.periods import ReportPeriods
from care.domain.report import Report, report_from_scopes
from care.domain.waits import Wait, WaitKind
from care.store import Store, SurveyRequest, WaitObservation
from tests.rules.builders import ticket

END = datetime(2026, 3, 8, tzinfo=UTC)
START = END - timedelta(days=7)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def made(
    helpdesk: str,
    id: str,
    group: str | None,
    created: timedelta,
    replied_after: timedelta | None = None,
    status: Status = Status.OPEN,
    replies: int = 1,
    **fields: object,
) -> Ticket:
    """A ticket created `created` after START, first answered `replied_after` later."""
    created_at = START + created
    reply = created_at + replied_after if replied_after is not None else None
    return ticket(
        helpdesk=helpdesk,
        id=id,
        group_id=group,
        status=status,
        created_at=created_at,
        updated_at=END,
        first_agent_reply_at=reply,
        last_agent_reply_at=reply,
        last_requester_message_at=created_at,
        agent_replies=replies if reply else 0,
        solved_at=END - HOUR if status.is_solved else None,
        **fields,
    )


TICKETS = [
    # zendesk group 10: answered after 1 h, 3 h, 5 h
    made("zendesk", "z1", "10", 0 * DAY, HOUR, Status.SOLVED, replies=1),  # created at START
    made("zendesk", "z2", "10", 2 * DAY, 3 * HOUR, Status.SOLVED, replies=3, reopens=1),
    made("zendesk", "z3", "10", 3 * DAY, 5 * HOUR, replies=2),  # escalated; SLA warning only
    made("zendesk", "z-old", "10", -timedelta(seconds=1), HOUR),  # before the window
    made("zendesk", "z-late", "10", 7 * DAY, HOUR),  # created at END: after the window
    # zendesk group 20: one unanswered (breached), answered after 10 h and 20 h
    made("zendesk", "z4", "20", DAY),
    made("zendesk", "z5", "20", 4 * DAY, 10 * HOUR, group_hops=3),  # passed around by hops
    made("zendesk", "z6", "20", 5 * DAY, 20 * HOUR, Status.PENDING, group_hops=1, assignee_hops=1),
    # zendesk, no group: answered after 30 min, closed after 2 replies
    made("zendesk", "z7", None, 6 * DAY, HOUR / 2, Status.CLOSED, replies=2),
    # freshdesk group 10 (not zendesk's group 10): answered after 2 h; one unanswered
    made("freshdesk", "f1", "10", 2 * DAY, 2 * HOUR, Status.SOLVED, replies=2),
    made("freshdesk", "f2", "10", 3 * DAY),
]

ACTIONS = [
    ("zendesk", "z3", "resolve.two_interactions", ""),
    ("zendesk", "z3", "resolve.response_sla", "warning"),
    ("zendesk", "z4", "resolve.response_sla", "warning"),
    ("zendesk", "z4", "resolve.response_sla", "breached"),
    ("zendesk", "z6", "resolve.passed_around", ""),  # recorded under a lower threshold
    ("zendesk", "z-old", "resolve.response_sla", "breached"),
    ("zendesk", "z-old", "resolve.two_interactions", ""),
    ("freshdesk", "f2", "resolve.response_sla", "breached"),
]

FIRST, NEXT = WaitKind.FIRST_REPLY, WaitKind.NEXT_REPLY
# What successive polls saw, in order: (helpdesk, ticket, group, the wait's kind and start
# after START or None for no wait, breached, seen after START).
WAITS = [
    ("zendesk", "z-old", "10", (FIRST, -timedelta(seconds=1)), True, DAY),  # before the window
    ("zendesk", "z-old", "10", None, False, DAY + HOUR),
    # the old ticket's requester writes again in the window, by then in group 30
    ("zendesk", "z-old", "30", (NEXT, 2 * DAY), True, 3 * DAY),
    ("zendesk", "z3", "10", (FIRST, 3 * DAY), False, 3 * DAY + HOUR),  # a warning only
    ("zendesk", "z3", "10", None, False, 3 * DAY + 5 * HOUR),
    ("zendesk", "z3", "10", (NEXT, 4 * DAY), False, 4 * DAY + HOUR),
    ("zendesk", "z4", "20", (FIRST, DAY), False, DAY + HOUR),
    ("zendesk", "z4", "20", (FIRST, DAY), True, 2 * DAY + HOUR),
    ("zendesk", "z4", "20", (FIRST, DAY), True, 3 * DAY),  # a breach counts once
    ("zendesk", "z5", "20", (FIRST, 4 * DAY), False, 4 * DAY + HOUR),
    ("zendesk", "z5", "20", (NEXT, 5 * DAY), True, 6 * DAY + HOUR),  # two waits of one ticket
    ("zendesk", "z5", "20", None, False, 6 * DAY + 2 * HOUR),
    ("zendesk", "z5", "20", (NEXT, 6 * DAY + 3 * HOUR), True, 7 * DAY - HOUR),
    ("zendesk", "z-late", "10", (FIRST, 7 * DAY), True, 8 * DAY),  # at END: after the window
    ("freshdesk", "f2", "10", (FIRST, 3 * DAY), True, 4 * DAY + HOUR),
]

# (helpdesk, ticket, sent at, answer)
SURVEYS = [
    ("zendesk", "z1", START + 2 * DAY, "solved"),
    ("zendesk", "z2", START + 3 * DAY, "unsolved"),
    ("zendesk", "z7", END - HOUR, None),
    ("zendesk", "z-old", START - HOUR, "solved"),  # sent before the window
    ("freshdesk", "f1", START + 4 * DAY, "solved"),
]


def send_survey(store: Store, helpdesk: str, ticket_id: str, sent_at: datetime) -> None:
    due = sent_at - timedelta(minutes=5)
    store.schedule_survey(
        SurveyRequest(helpdesk, ticket_id, "r1", "ana@example.com", "Ana", "Help", due, due), due
    )
    (claimed,) = store.claim_due_surveys(sent_at, "t")
    assert store.start_survey_send(claimed.id, sent_at, "<m@x>", token="t")
    assert store.mark_survey_sent(claimed.id, sent_at, "<m@x>", token="t")


@pytest.fixture
def history(store: Store) -> Store:
    store.upsert_snapshots(TICKETS, END)
    actions = [Action(rule, h, t, "seeded", variant=v) for h, t, rule, v in ACTIONS]
    store.record_actions([(a, None) for a in actions], END)
    for helpdesk, ticket_id, group, started, breached, seen in WAITS:
        wait = Wait(START + started[1], started[0]) if started else None
        observed = WaitObservation(helpdesk, ticket_id, group, wait, breached, START + seen)
        store.record_waits([observed], START + seen)
    for helpdesk, ticket_id, sent_at, answer in SURVEYS:
        send_survey(store, helpdesk, ticket_id, sent_at)
        if answer:
            store.record_survey_answer(helpdesk, ticket_id, "ana@example.com", answer, END)
    # scheduled, never sent: not counted
    store.schedule_survey(SurveyRequest("zendesk", "z6", "r", None, "A", "S", END, END), END)
    return store


def report_of(store: Store, thresholds: Thresholds = Thresholds()) -> Report:
    periods = ReportPeriods(END, 7, weeks=0)
    scopes = store.report_scopes(periods, thresholds)
    return report_from_scopes(scopes, START, END, thresholds)


def scope(report: Report, label: str) -> Scope:
    scopes = [report.overall, *(h.total for h in report.helpdesks), *report.groups]
    (found,) = [s for s in scopes if s.label == label]
    return found


def hours(value: float | None) -> float | None:
    return None if value is None else value / 3600


def test_zendesk_group_10_counts_only_tickets_created_in_the_window(history: Store) -> None:
    m = scope(report_of(history), "zendesk · 10").metrics
    assert (m.tickets, m.answered) == (3, 3)
    assert hours(m.first_response_median) == pytest.approx(3)  # of 1, 3, 5 h
    assert hours(m.first_response_p90) == pytest.approx(4.6)  # 3 + 0.8 × (5 − 3)
    # z3: first reply in 5 h, a warning only; but its next wait has run 3 days by the end
    assert (m.first_reply_breached, m.next_reply_breached) == (Rate(0, 3), Rate(1, 1))
    assert m.breached == Rate(1, 4)
    assert m.escalated == Rate(1, 3)
    assert m.solved_within == Rate(1, 2)  # z1 in 1 reply; z2 took 3
    assert m.reopened == Rate(1, 3)
    assert m.passed_around == Rate(0, 3)
    assert (m.surveys_sent, m.survey_response, m.survey_solved) == (2, Rate(2, 2), Rate(1, 2))


def test_zendesk_group_20_breach_and_passed_around(history: Store) -> None:
    m = scope(report_of(history), "zendesk · 20").metrics
    assert (m.tickets, m.answered) == (3, 2)
    assert hours(m.first_response_median) == pytest.approx(15)
    assert hours(m.first_response_p90) == pytest.approx(19)
    assert m.first_reply_breached == Rate(1, 3)  # z4 counted once, however often seen
    assert m.next_reply_breached == Rate(2, 2)  # z5 waited twice for a next reply
    assert m.breached == Rate(3, 5)
    assert m.solved_within == Rate(0, 0) and m.solved_within.value is None
    assert m.passed_around == Rate(2, 3)  # z5 by its hops, z6 by its action
    assert m.hops_per_ticket == pytest.approx(5 / 3)
    assert m.surveys_sent == 0 and m.survey_response.value is None


def test_helpdesk_and_overall_totals(history: Store) -> None:
    report = report_of(history)
    zendesk = scope(report, "zendesk").metrics
    assert (zendesk.tickets, zendesk.answered) == (7, 6)
    assert hours(zendesk.first_response_median) == pytest.approx(4)  # 0.5 1 3 5 10 20
    assert hours(zendesk.first_response_p90) == pytest.approx(15)
    assert (zendesk.breached, zendesk.escalated) == (Rate(5, 11), Rate(1, 7))
    assert zendesk.first_reply_breached == Rate(1, 7)  # every ticket created waited once
    assert zendesk.next_reply_breached == Rate(4, 4)
    assert zendesk.solved_within == Rate(2, 3)  # z1, z7 (2 replies is within 2)
    assert (zendesk.survey_response, zendesk.survey_solved) == (Rate(2, 3), Rate(1, 2))

    overall = report.overall.metrics
    assert (overall.tickets, overall.answered) == (9, 7)
    assert hours(overall.first_response_median) == pytest.approx(3)  # 0.5 1 2 3 5 10 20
    assert hours(overall.first_response_p90) == pytest.approx(14)  # 10 + 0.4 × 10
    assert overall.breached == Rate(6, 13)
    assert (overall.first_reply_breached, overall.next_reply_breached) == (Rate(2, 9), Rate(4, 4))
    assert overall.solved_within == Rate(3, 4)
    assert overall.passed_around == Rate(2, 9)
    assert (overall.survey_response, overall.survey_solved) == (Rate(3, 4), Rate(2, 3))


def test_groups_are_kept_apart_per_helpdesk_and_tickets_without_one_are_listed(
    history: Store,
) -> None:
    report = report_of(history)
    assert [g.label for g in report.groups] == [
        "freshdesk · 10",
        "zendesk · 10",
        "zendesk · 20",
        "zendesk · 30",
        "zendesk · (no group)",
    ]
    assert scope(report, "freshdesk · 10").metrics.breached == Rate(1, 2)
    no_group = scope(report, "zendesk · (no group)").metrics
    assert no_group.survey_response == Rate(0, 1) and no_group.survey_solved.value is None


def test_a_wait_counts_where_it_started_even_on_a_ticket_created_before(history: Store) -> None:
    report = report_of(history)
    m = scope(report, "zendesk · 30").metrics
    assert (m.tickets, m.next_reply_breached, m.breached) == (0, Rate(1, 1), Rate(1, 1))
    assert "zendesk · 30" not in {g.label for g in report.never_answered}


def test_bottlenecks_name_the_longest_waits_and_the_most_passed_around(history: Store) -> None:
    report = report_of(history)
    assert [g.label for g in report.longest_waits] == [
        "zendesk · 20",  # p90 19 h
        "zendesk · 10",  # 4.6 h
        "freshdesk · 10",  # 2 h
    ]
    assert [g.label for g in report.most_passed_around] == ["zendesk · 20"]


def test_solved_within_follows_the_configured_interactions(history: Store) -> None:
    report = report_of(history, replace(Thresholds(), interactions=1))
    assert scope(report, "zendesk").metrics.solved_within == Rate(1, 3)  # z7 took 2 replies


def test_an_empty_window_reports_no_tickets(history: Store) -> None:
    later = END + 30 * DAY
    scopes = history.report_scopes(ReportPeriods(later + 7 * DAY, 7, 0), Thresholds())
    report = report_from_scopes(scopes, later, later + 7 * DAY)
    assert scopes == {} and report.no_tickets
    assert report.overall.metrics.breached.value is None
    assert report.overall.metrics.first_response_median is None
