"""Assist: FAQ suggestions, repeat contacts and tickets from the error page."""

from __future__ import annotations

from typing import Any

import pytest

from care.domain.faq import FaqArticle, FaqIndex
from care.domain.model import Priority, Status, Ticket
from care.domain.rules.assist import error_page, faq, repeat_contact
from tests.rules.builders import DAY, HOUR, NOW, policy, ticket


@pytest.fixture(scope="module")
def index() -> FaqIndex:
    return FaqIndex.load()


# --- assist.faq ---------------------------------------------------------------------


def password_ticket(**overrides: Any) -> Ticket:
    return ticket(
        subject="How do I reset my password?",
        description="I forgot my password and the reset e-mail never arrives.",
        **overrides,
    )


def test_matching_ticket_gets_a_note_with_the_best_articles(index: FaqIndex) -> None:
    [action] = faq(password_ticket(), policy(), NOW, index)
    assert action.rule == "assist.faq"
    assert action.add_tags == {"care_faq_suggested"}
    assert action.note is not None and action.note.template == "assist.faq"
    articles = action.note.fields["articles"]
    assert 1 <= len(articles) <= 3
    assert articles[0]["id"] == "password-reset"
    assert articles[0]["url"] == "https://help.example.com/articles/password-reset"
    assert "Reset a forgotten password" in action.reason


class Scored:
    """A catalogue whose search answers with fixed scores, best first."""

    def __init__(self, *scores: float) -> None:
        self.hits = [
            (FaqArticle(f"a{i}", f"Article {i}", f"https://help.example.com/a{i}", "b"), score)
            for i, score in enumerate(scores)
        ]

    def search(
        self, text: str, limit: int = 3, min_score: float = 0.0, min_terms: int = 1
    ) -> list[tuple[FaqArticle, float]]:
        return [(a, score) for a, score in self.hits if score >= min_score][:limit]


def listed(index: Any, **faq_policy: Any) -> list[str]:
    [action] = faq(password_ticket(), policy(faq=faq_policy), NOW, index)
    assert action.note is not None
    return [article["id"] for article in action.note.fields["articles"]]


def test_a_clear_best_article_is_suggested_alone(index: FaqIndex) -> None:
    # Other articles share a word or two with the ticket ("e-mail", "arrive"), not its topic.
    assert listed(index) == ["password-reset"]


@pytest.mark.parametrize(
    ("scores", "shown"),
    [
        ((10.0, 8.0, 7.99), ["a0", "a1"]),  # 80 % of the best is close enough, 79.9 % is not
        ((10.0, 7.9, 7.8), ["a0"]),
        ((10.0, 9.9, 9.8), ["a0", "a1", "a2"]),
        ((10.0, 10.0, 10.0, 10.0), ["a0", "a1", "a2"]),  # still at most max_articles
    ],
)
def test_other_articles_are_listed_only_when_they_score_close_to_the_best(
    scores: tuple[float, ...], shown: list[str]
) -> None:
    assert listed(Scored(*scores)) == shown


def test_articles_close_to_the_best_are_still_capped_and_thresholded() -> None:
    assert listed(Scored(10.0, 9.0, 9.0), max_articles=2) == ["a0", "a1"]
    assert listed(Scored(10.0, 9.0, 3.0), min_score=9.5) == ["a0"]


def test_unrelated_ticket_gets_no_suggestion(index: FaqIndex) -> None:
    t = ticket(subject="Lunch", description="The weather is lovely and I like pizza.")
    assert faq(t, policy(), NOW, index) == []


def test_max_articles_and_min_score_come_from_the_policy(index: FaqIndex) -> None:
    [action] = faq(password_ticket(), policy(faq={"max_articles": 1}), NOW, index)
    assert action.note is not None and len(action.note.fields["articles"]) == 1
    assert faq(password_ticket(), policy(faq={"min_score": 1000}), NOW, index) == []


@pytest.mark.parametrize("status", [Status.SOLVED, Status.CLOSED])
def test_solved_tickets_get_no_suggestion(index: FaqIndex, status: Status) -> None:
    assert faq(password_ticket(status=status), policy(), NOW, index) == []


def test_faq_is_not_suggested_twice(index: FaqIndex) -> None:
    t = password_ticket(tags={"care_faq_suggested"})
    assert faq(t, policy(), NOW, index) == []


def test_without_a_catalogue_nothing_is_suggested() -> None:
    assert faq(password_ticket(), policy(), NOW, None) == []


# --- assist.repeat_contact ----------------------------------------------------------


def test_three_tickets_in_seven_days_is_a_repeat_contact() -> None:
    created = NOW - HOUR
    t = ticket(created_at=created, requester_ticket_times=(created - 3 * DAY, created - 7 * DAY))
    [action] = repeat_contact(t, policy(), NOW)
    assert action.add_tags == {"care_repeat_contact"}
    assert "3 tickets within 7 days" in action.reason


def test_three_tickets_in_eight_days_is_not() -> None:
    created = NOW - HOUR
    t = ticket(created_at=created, requester_ticket_times=(created - 3 * DAY, created - 8 * DAY))
    assert repeat_contact(t, policy(), NOW) == []


def test_tickets_opened_after_this_one_do_not_count() -> None:
    created = NOW - 2 * DAY
    t = ticket(created_at=created, requester_ticket_times=(created - DAY, created + DAY))
    assert repeat_contact(t, policy(), NOW) == []


def test_repeat_contact_threshold_and_window_are_configurable() -> None:
    created = NOW - HOUR
    t = ticket(created_at=created, requester_ticket_times=(created - 20 * DAY,))
    p = policy(repeat_contact={"min_tickets": 2, "window_days": 30})
    assert len(repeat_contact(t, p, NOW)) == 1


def test_repeat_contact_is_not_tagged_twice() -> None:
    created = NOW - HOUR
    t = ticket(
        created_at=created,
        requester_ticket_times=(created - DAY, created - 2 * DAY),
        tags={"care_repeat_contact"},
    )
    assert repeat_contact(t, policy(), NOW) == []


# --- assist.error_page --------------------------------------------------------------


def test_error_page_tag_makes_the_ticket_proactive_and_high() -> None:
    [action] = error_page(ticket(tags={"error_page"}), policy(), NOW)
    assert action.add_tags == {"care_proactive"}
    assert action.set_priority is Priority.HIGH
    assert "error page" in action.reason


def test_error_page_channel_counts_too_and_no_priority_is_raised() -> None:
    [action] = error_page(ticket(channel="error_page", priority=None), policy(), NOW)
    assert action.set_priority is Priority.HIGH


@pytest.mark.parametrize("priority", [Priority.HIGH, Priority.URGENT])
def test_error_page_never_lowers_the_priority(priority: Priority) -> None:
    [action] = error_page(ticket(tags={"error_page"}, priority=priority), policy(), NOW)
    assert action.add_tags == {"care_proactive"}
    assert action.set_priority is None


def test_error_page_on_a_solved_ticket_only_tags_it() -> None:
    [action] = error_page(ticket(tags={"error_page"}, status=Status.SOLVED), policy(), NOW)
    assert action.set_priority is None


def test_ordinary_ticket_is_not_from_the_error_page() -> None:
    assert error_page(ticket(), policy(), NOW) == []


def test_error_page_tag_and_channels_are_configurable() -> None:
    p = policy(error_page={"tag": "crash", "channels": ["widget"], "min_priority": "urgent"})
    [action] = error_page(ticket(channel="widget"), p, NOW)
    assert action.set_priority is Priority.URGENT
    assert len(error_page(ticket(tags={"crash"}), p, NOW)) == 1
    assert error_page(ticket(tags={"error_page"}), p, NOW) == []


def test_proactive_ticket_is_left_alone() -> None:
    assert error_page(ticket(tags={"error_page", "care_proactive"}), policy(), NOW) == []
