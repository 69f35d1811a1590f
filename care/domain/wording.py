"""How counts and spans of time read, in every text CARE writes for a person.

Pure functions, standard library only, so that every layer (notes, reports, the
terminal, run summaries) words them the same way:

- `inflect(count, "was", "were")`: the word alone, singular for exactly 1.
- `plural(count, "ticket")`: "1 ticket", "3 tickets"; `spec` formats the count.
- `counted(n, "ticket")`: the same with thousands separators and no decimals:
  "1,000 tickets" (for counts that may arrive as floats).
- `duration(span)`: a span floored to the minute: "45 min", "26 h 5 min", "3 days 4 h".
- `ago(span)`: how long ago, finer for recent moments: "42 s ago", "1 h 05 min ago".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

__all__ = ["ago", "counted", "duration", "inflect", "plural"]

_MINUTE = timedelta(minutes=1)


def inflect(count: float, singular: str, plural: str | None = None) -> str:
    """The word in number with `count`: `singular` for exactly 1, else `plural`
    (default: `singular` + "s"). inflect(2, "was", "were") -> "were"."""
    return singular if count == 1 else plural or singular + "s"


def plural(count: float, word: str, plural: str | None = None, *, spec: str = "") -> str:
    """`count` and the word in number with it: "1 ticket", "0 tickets", "3 agent replies".

    `spec` is the format spec of the count (default: as `str` writes it), e.g. "g"
    for "1.5 days". Only a count of exactly 1 is singular. Also the `plural` filter of
    the note templates: `{{ 4 | plural("time") }}` -> "4 times".
    """
    return f"{count:{spec}} {inflect(count, word, plural)}"


def counted(count: float, word: str, plural: str | None = None) -> str:
    """As `plural`, with the count rounded to a whole number and thousands separated:
    "1 page", "2 pages", "1,000 tickets"."""
    return f"{count:,.0f} {inflect(count, word, plural)}"


def duration(
    span: timedelta | float | None,
    *,
    unit: Literal["seconds", "minutes"] = "seconds",
    none: str | None = None,
    under_a_minute: str | None = None,
) -> str:
    """A span floored to the minute: "0 min", "45 min", "26 h 5 min", "47 h 59 min";
    from 48 hours on, in days and hours: "3 days 4 h", "3 days". A negative span is "0 min".

    `span` is a timedelta, or a number of `unit`s (the note templates' `duration`
    filter gives minutes: `{{ 90 | duration }}`). `none`: what None reads as (without
    it, None is refused with a TypeError). `under_a_minute`: what a span shorter than
    a minute reads as instead of "0 min" (the report's "< 1 min").
    """
    if span is None and none is not None:
        return none
    if isinstance(span, timedelta):
        short = span < _MINUTE
    else:
        amount = float(span)  # compared as given: timedelta rounds to the microsecond
        short = amount < (1 if unit == "minutes" else 60)
        span = timedelta(minutes=amount) if unit == "minutes" else timedelta(seconds=amount)
    if short and under_a_minute is not None:
        return under_a_minute
    minutes = max(int(span.total_seconds() // 60), 0)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        days, hours = divmod(hours, 24)
        return f"{days} days {hours} h" if hours else f"{days} days"
    if hours and minutes:
        return f"{hours} h {minutes} min"
    if hours:
        return f"{hours} h"
    return f"{minutes} min"


def ago(span: timedelta | None) -> str:
    """How long ago something happened, `span` before now: "42 s ago" (under 2 min),
    "17 min ago" (under 2 h), "26 h 05 min ago" (under 3 days), "4 days ago";
    "" for None (no such moment). Unlike `duration`, seconds count and minutes
    are zero-padded, as a status line reads best."""
    if span is None:
        return ""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 3 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min ago"
    return f"{seconds // 86400} days ago"
