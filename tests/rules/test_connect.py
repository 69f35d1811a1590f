"""Connect: the greeting draft and the loyal-customer tag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from care.domain.model import Status
from care.domain.rules.connect import greeting, greeting_name, loyal_customer, tenure_phrase
from tests.rules.builders import DAY, HOUR, NOW, policy, ticket, unanswered

# --- connect.greeting ---------------------------------------------------------------


def test_new_ticket_without_agent_reply_gets_a_greeting_draft() -> None:
    t = unanswered(HOUR, status=Status.NEW, requester={"created_at": NOW - 800 * DAY})
    [action] = greeting(t, policy(), NOW)
    assert action.rule == "connect.greeting"
    assert action.add_tags == {"care_greeted"}
    assert action.note is not None and action.note.template == "connect.greeting"
    assert dict(action.note.fields) == {
        "first_name": "Ana",
        "tenure": "2 years",
        "subject": t.subject,
        "late": False,
    }
    assert action.note.public is False
    assert (action.helpdesk, action.ticket_id) == ("zendesk", "1001")
    assert "Ana" in action.reason and "2 years" in action.reason


def test_a_greeting_drafted_past_the_response_target_says_it_is_late() -> None:
    [on_time] = greeting(unanswered(23 * HOUR), policy(), NOW)
    [late] = greeting(unanswered(25 * HOUR), policy(), NOW)
    assert on_time.note is not None and on_time.note.fields["late"] is False
    assert late.note is not None and late.note.fields["late"] is True


def test_reply_mode_makes_the_greeting_public() -> None:
    [action] = greeting(unanswered(HOUR), policy(greeting={"mode": "reply"}), NOW)
    assert action.note is not None and action.note.public is True


@pytest.mark.parametrize("status", [Status.PENDING, Status.HOLD, Status.SOLVED, Status.CLOSED])
def test_tickets_not_awaiting_an_agent_are_not_greeted(status: Status) -> None:
    assert greeting(unanswered(HOUR, status=status), policy(), NOW) == []


def test_a_ticket_an_agent_already_answered_is_not_greeted() -> None:
    assert greeting(ticket(), policy(), NOW) == []
    assert greeting(unanswered(HOUR, agent_replies=1), policy(), NOW) == []


def test_an_already_greeted_ticket_is_left_alone() -> None:
    assert greeting(unanswered(HOUR, tags={"care_greeted"}), policy(), NOW) == []


@pytest.mark.parametrize("name", ["", "   ", "ana@example.com", "42"])
def test_a_requester_without_a_usable_name_is_greeted_without_one(name: str) -> None:
    [action] = greeting(unanswered(HOUR, requester={"name": name}), policy(), NOW)
    assert action.note is not None and action.note.fields["first_name"] == ""


def test_a_lowercase_first_name_is_capitalised() -> None:
    assert greeting_name("ana lima") == "Ana"
    assert greeting_name("McKenzie") == "McKenzie"


def test_tenure_is_left_out_before_one_month() -> None:
    t = unanswered(HOUR, requester={"created_at": NOW - 29 * DAY})
    [action] = greeting(t, policy(), NOW)
    assert action.note is not None and action.note.fields["tenure"] is None


# --- tenure_phrase ------------------------------------------------------------------


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("created", "phrase"),
    [
        (NOW - 29 * DAY, None),
        (NOW - 30 * DAY, "1 month"),
        (at(2025, 2, 5, 12), None),  # a calendar month, but 28 days: under the 30-day minimum
        (at(2025, 1, 5, 12), "2 months"),
        (at(2024, 12, 5, 12), "3 months"),
        (at(2024, 3, 5, 12), "1 year"),
        (at(2023, 4, 5, 12), "1 year"),  # 1 year 11 months
        (at(2023, 3, 5, 12), "2 years"),
        (at(2023, 3, 5, 12, 1), "1 year"),  # one minute short of two years
        (None, None),
    ],
)
def test_tenure_phrase_counts_whole_calendar_units(
    created: datetime | None, phrase: str | None
) -> None:
    assert tenure_phrase(created, NOW) == phrase


def test_tenure_phrase_respects_the_configured_minimum() -> None:
    assert tenure_phrase(NOW - 60 * DAY, NOW, min_days=90) is None


# --- connect.loyal_customer ---------------------------------------------------------


def test_two_year_customer_is_tagged_loyal() -> None:
    t = ticket(requester={"created_at": NOW - timedelta(days=730)})
    [action] = loyal_customer(t, policy(), NOW)
    assert action.add_tags == {"care_loyal_customer"}
    assert action.note is None
    assert "730 days" in action.reason


def test_one_year_eleven_months_is_not_loyal_yet() -> None:
    t = ticket(requester={"created_at": at(2023, 4, 5, 12)})
    assert loyal_customer(t, policy(), NOW) == []


def test_unknown_account_age_is_not_loyal() -> None:
    assert loyal_customer(ticket(requester={"created_at": None}), policy(), NOW) == []


def test_loyalty_is_tagged_whatever_the_status() -> None:
    t = ticket(status=Status.SOLVED, requester={"created_at": NOW - 3 * 365 * DAY})
    assert len(loyal_customer(t, policy(), NOW)) == 1


def test_loyalty_threshold_is_configurable_and_the_tag_prefix_too() -> None:
    t = ticket(requester={"created_at": NOW - 100 * DAY})
    p = policy(loyal_customer={"min_tenure_days": 90}).model_copy(
        update={"tags": policy().tags.model_copy(update={"prefix": "x_"})}
    )
    [action] = loyal_customer(t, p, NOW)
    assert action.add_tags == {"x_loyal_customer"}
    assert loyal_customer(ticket(tags={"x_loyal_customer"}), p, NOW) == []
