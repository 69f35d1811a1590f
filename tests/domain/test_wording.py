"""care.domain.wording: how counts and spans of time read, everywhere CARE writes them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from care.domain.wording import ago, counted, duration, inflect, plural

# --- plural, inflect ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 tickets"), (1, "1 ticket"), (2, "2 tickets"), (1000, "1000 tickets")],
)
def test_only_exactly_one_is_singular(count: int, text: str) -> None:
    assert plural(count, "ticket") == text


def test_an_irregular_plural_is_given() -> None:
    assert plural(1, "agent reply", "agent replies") == "1 agent reply"
    assert plural(3, "agent reply", "agent replies") == "3 agent replies"


def test_a_phrase_is_pluralised_on_its_last_word() -> None:
    assert plural(2, "interrupted send") == "2 interrupted sends"
    assert plural(1, "FAQ article") == "1 FAQ article"


@pytest.mark.parametrize(
    ("days", "text"),
    [(1.0, "1 day"), (0.5, "0.5 days"), (7.0, "7 days"), (1.25, "1.25 days")],
)
def test_a_float_count_is_written_with_its_format_spec(days: float, text: str) -> None:
    assert plural(days, "day", spec="g") == text


def test_a_float_count_is_written_as_str_writes_it_by_default() -> None:
    assert plural(1.0, "day") == "1.0 day"
    assert plural(1.5, "day") == "1.5 days"


def test_inflect_gives_the_word_alone() -> None:
    assert [inflect(n, "was", "were") for n in (0, 1, 2)] == ["were", "was", "were"]
    assert inflect(1, "poll") == "poll" and inflect(5, "poll") == "polls"


# --- counted ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "0 pages"),
        (1, "1 page"),
        (2, "2 pages"),
        (1.0, "1 page"),
        (12_345, "12,345 pages"),
        (1_000.4, "1,000 pages"),
    ],
)
def test_counted_separates_thousands_and_drops_decimals(n: float, text: str) -> None:
    assert counted(n, "page") == text


def test_counted_takes_an_irregular_plural() -> None:
    assert counted(2, "reply", "replies") == "2 replies"


# --- duration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (timedelta(0), "0 min"),
        (timedelta(seconds=59), "0 min"),
        (timedelta(seconds=-30), "0 min"),
        (timedelta(minutes=1), "1 min"),
        (timedelta(minutes=45), "45 min"),
        (timedelta(hours=1), "1 h"),
        (timedelta(hours=24), "24 h"),
        (timedelta(hours=26, minutes=5, seconds=59), "26 h 5 min"),
        (timedelta(hours=47, minutes=59), "47 h 59 min"),
        (timedelta(hours=48), "2 days"),
        (timedelta(days=3, hours=4, minutes=10), "3 days 4 h"),
        (timedelta(days=3), "3 days"),
    ],
)
def test_durations_are_floored_to_the_minute(span: timedelta, text: str) -> None:
    assert duration(span) == text


def test_a_number_is_seconds_or_minutes_as_told() -> None:
    assert duration(90) == "1 min"
    assert duration(90, unit="minutes") == "1 h 30 min"
    assert duration("90", unit="minutes") == "1 h 30 min"  # type: ignore[arg-type]
    assert duration(0.5, unit="minutes") == "0 min"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0.0, "< 1 min"),
        (59.9999999, "< 1 min"),  # compared as given, before timedelta rounds it
        (60.0, "1 min"),
        (3600.0, "1 h"),
        (3 * 86400.0, "3 days"),
    ],
)
def test_the_report_style_names_none_and_under_a_minute(seconds: float | None, text: str) -> None:
    assert duration(seconds, none="—", under_a_minute="< 1 min") == text


def test_under_a_minute_applies_to_timedeltas_and_minutes_too() -> None:
    assert duration(timedelta(seconds=59), under_a_minute="< 1 min") == "< 1 min"
    assert duration(0.99, unit="minutes", under_a_minute="< 1 min") == "< 1 min"
    assert duration(1, unit="minutes", under_a_minute="< 1 min") == "1 min"


def test_none_is_refused_unless_it_has_a_text() -> None:
    with pytest.raises(TypeError):
        duration(None)
    assert duration(None, none="") == ""


# --- ago ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("span", "text"),
    [
        (None, ""),
        (timedelta(seconds=-5), "0 s ago"),
        (timedelta(0), "0 s ago"),
        (timedelta(seconds=59), "59 s ago"),
        (timedelta(seconds=119), "119 s ago"),
        (timedelta(minutes=2), "2 min ago"),
        (timedelta(minutes=119, seconds=59), "119 min ago"),
        (timedelta(hours=2), "2 h 00 min ago"),
        (timedelta(hours=26, minutes=5), "26 h 05 min ago"),
        (timedelta(days=3) - timedelta(seconds=1), "71 h 59 min ago"),
        (timedelta(days=3), "3 days ago"),
        (timedelta(days=10, hours=23), "10 days ago"),
    ],
)
def test_ago_is_finer_for_recent_moments(span: timedelta | None, text: str) -> None:
    assert ago(span) == text
