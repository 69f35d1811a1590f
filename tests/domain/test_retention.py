"""Retention after a support contact: each figure on small, known histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from care.domain.metrics import Rate
from care.domain.retention import (
    RetentionData,
    SupportContact,
    normalise_email,
    retention_outcomes,
)

CONTACT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def contact(
    email: str | None = "ann@acme.test", at: datetime = CONTACT, **splits: bool
) -> SupportContact:
    return SupportContact(email=email, at=at, splits=splits)


def history(
    purchases: dict[str, list[datetime]] | None = None,
    churns: dict[str, list[datetime]] | None = None,
) -> RetentionData:
    return RetentionData(
        purchases={email: tuple(sorted(times)) for email, times in (purchases or {}).items()},
        churns={email: tuple(sorted(times)) for email, times in (churns or {}).items()},
    )


def test_no_contacts_gives_nothing_to_count_over():
    figures = retention_outcomes([], history({"ann@acme.test": [CONTACT]}))
    assert figures.all.matched == Rate(0, 0)
    assert figures.all.repurchased == {30: Rate(0, 0), 90: Rate(0, 0)}
    assert figures.all.churned == Rate(0, 0) and figures.all.churned.value is None
    assert figures.splits == {} and figures.unmatched == 0


def test_one_contact_followed_by_a_purchase_within_both_windows():
    data = history({"ann@acme.test": [CONTACT + 10 * DAY]})
    figures = retention_outcomes([contact()], data)
    assert figures.all.matched == Rate(1, 1)
    assert figures.all.repurchased == {30: Rate(1, 1), 90: Rate(1, 1)}
    assert figures.all.churned == Rate(0, 1)
    assert figures.unmatched == 0


@pytest.mark.parametrize(
    ("after", "within_30", "within_90"),
    [
        (30 * DAY, 1, 1),  # exactly 30 days later: within 30 days (inclusive)
        (30 * DAY + SECOND, 0, 1),  # one second more: not
        (90 * DAY, 0, 1),
        (90 * DAY + SECOND, 0, 0),
        (SECOND, 1, 1),
        (timedelta(0), 0, 0),  # at the very moment of the contact: not after it
    ],
)
def test_the_windows_hold_their_last_moment_and_not_one_second_more(after, within_30, within_90):
    data = history({"ann@acme.test": [CONTACT + after]})
    figures = retention_outcomes([contact()], data)
    assert figures.all.repurchased == {30: Rate(within_30, 1), 90: Rate(within_90, 1)}


def test_a_purchase_before_the_contact_is_not_a_repurchase():
    data = history({"ann@acme.test": [CONTACT - DAY, CONTACT - 40 * DAY]})
    figures = retention_outcomes([contact()], data)
    assert figures.all.matched == Rate(1, 1)  # known, but bought nothing since
    assert figures.all.repurchased == {30: Rate(0, 1), 90: Rate(0, 1)}


def test_the_first_purchase_after_the_contact_counts_whatever_came_before():
    data = history({"ann@acme.test": [CONTACT - DAY, CONTACT + 45 * DAY, CONTACT + 200 * DAY]})
    figures = retention_outcomes([contact()], data)
    assert figures.all.repurchased == {30: Rate(0, 1), 90: Rate(1, 1)}


def test_churn_is_counted_after_the_contact_within_the_largest_window_only():
    contacts = [contact(f"{name}@acme.test") for name in ("before", "after", "late", "at")]
    data = history(
        churns={
            "before@acme.test": [CONTACT - DAY],
            "after@acme.test": [CONTACT + 90 * DAY],  # the largest window's last moment
            "late@acme.test": [CONTACT + 90 * DAY + SECOND],
            "at@acme.test": [CONTACT],
        }
    )
    figures = retention_outcomes(contacts, data)
    assert figures.all.matched == Rate(4, 4)  # a churn row alone makes a known customer
    assert figures.all.churned == Rate(1, 4)
    assert figures.churn_window_days == 90


def test_a_customer_who_churned_before_and_again_after_the_contact_churned_after_it():
    data = history(churns={"ann@acme.test": [CONTACT - 400 * DAY, CONTACT + 5 * DAY]})
    assert retention_outcomes([contact()], data).all.churned == Rate(1, 1)


def test_unmatched_and_missing_e_mails_are_counted_apart():
    data = history({"ann@acme.test": [CONTACT + DAY]})
    figures = retention_outcomes([contact(), contact("bob@acme.test"), contact(None)], data)
    assert figures.unmatched == 2
    assert figures.all.matched == Rate(1, 3)
    assert figures.all.repurchased[30] == Rate(1, 1)  # over matched contacts only
    assert figures.all.churned == Rate(0, 1)


def test_e_mails_match_trimmed_and_in_any_case():
    data = history({normalise_email("  Ann@ACME.test "): [CONTACT + DAY]})
    figures = retention_outcomes([contact(" ANN@acme.TEST\t")], data)
    assert figures.all.matched == Rate(1, 1) and figures.all.repurchased[30] == Rate(1, 1)


def test_each_contact_counts_once_even_for_one_customer():
    data = history({"ann@acme.test": [CONTACT + 10 * DAY]})
    contacts = [contact(), contact(at=CONTACT + 20 * DAY), contact(at=CONTACT - 50 * DAY)]
    figures = retention_outcomes(contacts, data)
    assert figures.all.matched == Rate(3, 3)
    # the first: 10 days later; the second: nothing after it; the third: 60 days later
    assert figures.all.repurchased == {30: Rate(1, 3), 90: Rate(2, 3)}


def test_each_split_counts_its_two_sides_apart():
    data = history(
        {"ann@acme.test": [CONTACT + DAY], "bob@acme.test": [CONTACT + 60 * DAY]},
        churns={"cy@acme.test": [CONTACT + 2 * DAY]},
    )
    contacts = [
        contact("ann@acme.test", breached=False, escalated=False),
        contact("bob@acme.test", breached=True, escalated=False),
        contact("cy@acme.test", breached=True, escalated=True),
        contact("nobody@acme.test", breached=True, escalated=False),
    ]
    figures = retention_outcomes(contacts, data)
    breached, on_time = figures.splits["breached"][True], figures.splits["breached"][False]
    assert breached.matched == Rate(2, 3)
    assert breached.repurchased == {30: Rate(0, 2), 90: Rate(1, 2)}
    assert breached.churned == Rate(1, 2)
    assert on_time.matched == Rate(1, 1)
    assert on_time.repurchased == {30: Rate(1, 1), 90: Rate(1, 1)}
    assert on_time.churned == Rate(0, 1)
    assert figures.splits["escalated"][True].churned == Rate(1, 1)
    assert figures.splits["escalated"][False].matched == Rate(2, 3)
    assert figures.all.matched == Rate(3, 4) and figures.unmatched == 1


def test_a_side_no_contact_is_on_is_still_shown_empty():
    figures = retention_outcomes([contact(escalated=False)], history())
    assert figures.splits["escalated"][True].matched == Rate(0, 0)
    assert figures.splits["escalated"][False].matched == Rate(0, 1)


def test_a_contact_without_a_split_is_on_neither_side_of_it():
    data = history({"ann@acme.test": [CONTACT + DAY]})
    figures = retention_outcomes([contact(escalated=True), contact()], data)
    assert figures.splits["escalated"][True].matched == Rate(1, 1)
    assert figures.splits["escalated"][False].matched == Rate(0, 0)
    assert figures.all.matched == Rate(2, 2)


def test_windows_are_sorted_and_the_largest_is_the_churn_window():
    data = history({"ann@acme.test": [CONTACT + 10 * DAY]}, {"ann@acme.test": [CONTACT + 6 * DAY]})
    figures = retention_outcomes([contact()], data, windows_days=[7, 3])
    assert figures.windows_days == (3, 7) and figures.churn_window_days == 7
    assert figures.all.repurchased == {3: Rate(0, 1), 7: Rate(0, 1)}
    assert figures.all.churned == Rate(1, 1)


@pytest.mark.parametrize("windows", [[], [0], [-30, 90]])
def test_windows_must_be_positive(windows):
    with pytest.raises(ValueError, match="windows_days"):
        retention_outcomes([], history(), windows_days=windows)


def test_naive_contact_times_are_utc_and_other_offsets_are_converted():
    data = history({"ann@acme.test": [CONTACT + 30 * DAY]})
    naive = contact(at=CONTACT.replace(tzinfo=None))
    paris = contact(at=CONTACT.astimezone(timezone(timedelta(hours=1))))
    figures = retention_outcomes([naive, paris], data)
    assert figures.all.repurchased[30] == Rate(2, 2)
