"""The one-line poll summary counts in words a reader would write."""

from __future__ import annotations

import pytest

from flows.summary import PollSummary


@pytest.mark.parametrize(
    ("tickets", "pages", "line"),
    [
        (300, 1, "300 tickets in 1 page"),
        (1, 1, "1 ticket in 1 page"),
        (12_345, 13, "12,345 tickets in 13 pages"),
        (0, 0, "0 tickets in 0 pages"),
    ],
)
def test_tickets_and_pages_are_counted_in_words(tickets: int, pages: int, line: str) -> None:
    assert PollSummary("zendesk", tickets=tickets, pages=pages).read == line
