"""What the improvement-loop report reads, on known histories (SQLite and PostgreSQL):
the window before, the weeks of the trend, agents, the group that answered, breaches
judged from the history, and the outcomes of solved tickets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from care.domain.metrics import Metrics, Rate, Thresholds
from care.domain.model import Priority, Status, Ticket
from care.domain.periods import CURRENT, PREVIOUS, WEEK, ReportPeriods
from care.domain.scopes import Happened, Level, OutcomeCounts, ScopeKey
from care.domain.waits import Wait, WaitKind
from care.store import Store, SurveyRequest, WaitObservation
from tests.rules.builders import ticket

END = datetime(2026, 3, 8, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
PERIODS = ReportPeriods(END, days=7, weeks=3)


def made(id: str, created: datetime, replied_after: timedelta | None, **fields: object) -> Ticket:
    reply = created + replied_after if replied_after is not None else None
    values: dict[str, object] = {
        "id": id,
        "created_at": created,
        "updated_at": END - HOUR,
        "first_agent_reply_at": reply,
        "last_agent_reply_at": reply,
        "last_requester_message_at": created,
        "agent_replies": 1 if reply else 0,
        "group_id": "billing",
        "assignee_id": "a1",
    }
    return ticket(**(values | fields))


def metrics(store: Store, key: ScopeKey, thresholds: Thresholds = Thresholds()) -> Metrics:
    return Metrics.of(store.report_scopes(PERIODS, thresholds)[key])


def test_a_first_response_stays_with_the_group_that_gave_it(store: Store) -> None:
    created = END - 3 * DAY
    answered = made("1", created, 2 * HOUR, updated_at=created + 2 * HOUR)
    store.upsert_snapshots([answered], created + 2 * HOUR)
    escalated = made("1", created, 2 * HOUR, group_id="escalations", updated_at=END - HOUR)
    store.upsert_snapshots([escalated], END - HOUR)

    scopes = store.report_scopes(PERIODS, Thresholds())
    billing = Metrics.of(scopes[ScopeKey(CURRENT, Level.GROUP, "zendesk", "billing")])
    assert (billing.tickets, billing.answered, billing.first_response_median) == (1, 1, 7200)
    assert ScopeKey(CURRENT, Level.GROUP, "zendesk", "escalations") not in scopes


def test_a_backfilled_late_first_reply_is_a_breach_though_no_poll_saw_it(store: Store) -> None:
    late = made("1", END - 5 * DAY, 2 * DAY + 17 * HOUR)
    on_time = made("2", END - 4 * DAY, 3 * HOUR)
    still_waiting = made("3", END - 2 * DAY, None)
    waiting_briefly = made("4", END - 5 * HOUR, None)
    pending = made("5", END - 3 * DAY, None, status=Status.PENDING)  # the clock stopped
    store.upsert_snapshots([late, on_time, still_waiting, waiting_briefly, pending], END)

    m = metrics(store, ScopeKey(CURRENT, Level.ALL))
    assert m.first_reply_breached == Rate(2, 5)  # the late reply and the 2-day wait
    assert m.first_response_p90 == pytest.approx((3 + 0.9 * (65 - 3)) * 3600)  # 3 h, 65 h


def test_a_priority_target_judges_its_tickets(store: Store) -> None:
    urgent = made("1", END - 2 * DAY, 5 * HOUR, priority=Priority.URGENT)
    normal = made("2", END - 2 * DAY, 5 * HOUR)
    store.upsert_snapshots([urgent, normal], END)
    thresholds = Thresholds(targets_by_priority=(("urgent", 4 * 3600),))

    m = metrics(store, ScopeKey(CURRENT, Level.ALL), thresholds)
    assert m.first_reply_breached == Rate(1, 2)


def test_a_next_reply_wait_past_the_target_is_a_breach_though_no_poll_marked_it(
    store: Store,
) -> None:
    store.upsert_snapshots([made("1", END - 6 * DAY, HOUR, group_id="g")], END)
    for started, ended in ((END - 5 * DAY, END - 5 * DAY + 30 * HOUR), (END - 3 * DAY, None)):
        wait = Wait(started, WaitKind.NEXT_REPLY)
        store.record_waits([WaitObservation("zendesk", "1", "g", wait, False, started)], started)
        if ended:
            store.record_waits([WaitObservation("zendesk", "1", "g", None, False, ended)], ended)
    short = END - DAY
    store.record_waits(
        [WaitObservation("zendesk", "1", "g", Wait(short, WaitKind.NEXT_REPLY), False, short)],
        short,
    )
    # 30 h: breached; the second ended when the third began, after 2 days: breached;
    # the third has run 1 day by the end: not yet.
    m = metrics(store, ScopeKey(CURRENT, Level.ALL))
    assert m.next_reply_breached == Rate(2, 3)


def test_the_window_before_and_the_weeks_of_the_trend(store: Store) -> None:
    store.upsert_snapshots(
        [
            made("1", END - 2 * DAY, HOUR),
            made("2", END - 3 * DAY, 3 * HOUR),
            made("3", END - 9 * DAY, 5 * HOUR),  # the window before, the trend's week 1
            made("4", END - 20 * DAY, 7 * HOUR),  # the trend's week 0 only
            made("5", END - 30 * DAY, HOUR),  # before everything
        ],
        END,
    )
    scopes = store.report_scopes(PERIODS, Thresholds())
    tickets = {k.period: v.tickets.tickets for k, v in scopes.items() if k.level == Level.ALL}
    assert tickets == {CURRENT: 2, PREVIOUS: 1, WEEK + 0: 1, WEEK + 1: 1, WEEK + 2: 2}
    before = Metrics.of(scopes[ScopeKey(PREVIOUS, Level.ALL)])
    assert before.first_response_median == 5 * 3600
    week = Metrics.of(scopes[ScopeKey(WEEK + 2, Level.ALL)])
    assert (week.first_response_median, week.first_response_p90) == (2 * 3600, 2.8 * 3600)


def test_agents_are_counted_by_assignee_within_their_helpdesk(store: Store) -> None:
    store.upsert_snapshots(
        [
            made("1", END - 2 * DAY, HOUR, assignee_id="a1"),
            made("2", END - 2 * DAY, 3 * HOUR, assignee_id="a1"),
            made("3", END - 2 * DAY, 9 * HOUR, assignee_id="a2"),
            made("4", END - 2 * DAY, 9 * HOUR, assignee_id=None),
            made("5", END - 2 * DAY, HOUR, assignee_id="a1", helpdesk="freshdesk"),
        ],
        END,
    )
    scopes = store.report_scopes(PERIODS, Thresholds())
    agents = {
        (k.helpdesk, k.agent): (v.tickets.tickets, v.first_response.p50)
        for k, v in scopes.items()
        if k.period == CURRENT and k.level == Level.AGENT
    }
    assert agents == {
        ("zendesk", "a1"): (2, 2 * 3600),
        ("zendesk", "a2"): (1, 9 * 3600),
        ("freshdesk", "a1"): (1, 3600),
    }


def test_outcomes_split_the_solved_tickets_by_what_happened(store: Store) -> None:
    solved = {"status": Status.SOLVED, "solved_at": END - 4 * DAY}
    first = made("1", END - 6 * DAY, HOUR, requester={"id": "r1"}, **solved)
    late = made("2", END - 6 * DAY, 2 * DAY, requester={"id": "r2"}, **solved)
    again = made("3", END - 2 * DAY, HOUR, requester={"id": "r1"})  # r1 came back in 2 days
    far_later = made("4", END + 20 * DAY, HOUR, requester={"id": "r2"})  # after 14 days
    open_one = made("5", END - 3 * DAY, HOUR, requester={"id": "r3"})  # not solved
    store.upsert_snapshots([first, late, again, far_later, open_one], END)
    for ticket_id, answer in (("1", "solved"), ("2", "unsolved")):
        due = END - 3 * DAY
        request = SurveyRequest("zendesk", ticket_id, "r", "a@example.com", "A", "S", due, due)
        store.schedule_survey(request, due)
        (claimed,) = store.claim_due_surveys(due, "t")
        assert store.start_survey_send(claimed.id, due, "<m>", token="t")
        assert store.mark_survey_sent(claimed.id, due, "<m>", token="t")
        store.record_survey_answer("zendesk", ticket_id, "a@example.com", answer, due + HOUR)

    outcomes = store.report_outcomes(PERIODS, Thresholds())
    in_two = {"escalated": False, "passed_around": False, "solved_in_two": True}
    assert outcomes == {
        Happened(breached=False, **in_two): OutcomeCounts(1, 1, 1, 1),
        Happened(breached=True, **in_two): OutcomeCounts(1, 1, 0, 0),
    }


def test_an_empty_store_and_a_single_ticket(store: Store) -> None:
    assert store.report_scopes(PERIODS, Thresholds()) == {}
    assert store.report_outcomes(PERIODS, Thresholds()) == {}
    store.upsert_snapshots([made("1", END - DAY, 90 * timedelta(minutes=1))], END)
    m = metrics(store, ScopeKey(CURRENT, Level.ALL))
    assert (m.tickets, m.first_response_median, m.first_response_p90) == (1, 5400, 5400)
    assert m.first_reply_breached == Rate(0, 1) and m.next_reply_breached == Rate(0, 0)
