"""Retention and repurchase after a support contact: pure figures over a customer history
(`RetentionData`, read by care/report/retention.py) and the contacts support dealt with.

Every figure counts contacts, not customers: a customer with three contacts counts three
times, once per contact, each against the history after that contact. A contact is
matched when its e-mail (trimmed, compared case-insensitively) has any row in the
history. For each group (every contact: "all"; and each side, True or False, of each
split such as "escalated"):

- matched: contacts of the group whose e-mail the history knows / contacts of the group;
- repurchase within N days: matched contacts followed by a purchase or renewal of the
  same e-mail in (contact, contact + N days] / matched contacts of the group;
- churn after the contact: matched contacts followed by a churn of the same e-mail in
  (contact, contact + the largest window] / matched contacts of the group;
- unmatched (over all contacts only): contacts without an e-mail, or whose e-mail the
  history does not know.

A purchase or churn at the very moment of the contact, or before it, is not "after" it.
A contact whose splits lack a split name is counted on neither side of that split.
Naive datetimes are taken as UTC.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from care.domain.metrics import Rate

DEFAULT_WINDOWS_DAYS = (30, 90)


def normalise_email(email: str) -> str:
    """The form e-mails are compared in: trimmed, lowercase."""
    return email.strip().lower()


def as_utc(at: datetime) -> datetime:
    """`at` in UTC; a naive datetime is taken as UTC already."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class RetentionData:
    """Each customer's history, keyed by `normalise_email`: purchase and renewal times, and
    churn times, in UTC, each tuple sorted ascending (as the loader builds them)."""

    purchases: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)
    churns: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)

    def knows(self, email: str) -> bool:
        return email in self.purchases or email in self.churns

    @property
    def customers(self) -> int:
        return len(self.purchases.keys() | self.churns.keys())


@dataclass(frozen=True, slots=True)
class SupportContact:
    email: str | None  # the requester's e-mail (None: cannot be matched)
    at: datetime  # when support dealt with it: solved_at, or created_at if unsolved
    splits: Mapping[str, bool]  # e.g. {"breached": True, "escalated": False}


@dataclass(frozen=True, slots=True)
class GroupFigures:
    """The figures of one group of contacts (see the module docstring)."""

    matched: Rate  # matched contacts / contacts of the group
    repurchased: Mapping[int, Rate]  # window in days -> repurchased / matched
    churned: Rate  # churned within the largest window / matched


@dataclass(frozen=True, slots=True)
class RetentionFigures:
    windows_days: tuple[int, ...]  # ascending
    all: GroupFigures
    splits: Mapping[str, Mapping[bool, GroupFigures]]  # split name -> side -> figures
    unmatched: int  # contacts with no e-mail, or one the history does not know

    @property
    def churn_window_days(self) -> int:
        return self.windows_days[-1]


@dataclass(slots=True)
class _Tally:
    contacts: int = 0
    matched: int = 0
    churned: int = 0
    repurchased: dict[int, int] = field(default_factory=dict)

    def add(self, matched: bool, repurchased: Iterable[int], churned: bool) -> None:
        self.contacts += 1
        if not matched:
            return
        self.matched += 1
        self.churned += churned
        for days in repurchased:
            self.repurchased[days] = self.repurchased.get(days, 0) + 1

    def figures(self, windows: tuple[int, ...]) -> GroupFigures:
        return GroupFigures(
            matched=Rate(self.matched, self.contacts),
            repurchased={
                days: Rate(self.repurchased.get(days, 0), self.matched) for days in windows
            },
            churned=Rate(self.churned, self.matched),
        )


def retention_outcomes(
    contacts: Iterable[SupportContact],
    data: RetentionData,
    windows_days: Iterable[int] = DEFAULT_WINDOWS_DAYS,
) -> RetentionFigures:
    """The figures of the module docstring for `contacts` against `data`."""
    windows = tuple(sorted(set(windows_days)))
    if not windows or windows[0] <= 0:
        raise ValueError("windows_days must hold at least one positive number of days")
    overall = _Tally()
    splits: dict[str, dict[bool, _Tally]] = {}
    for contact in contacts:
        email = normalise_email(contact.email) if contact.email else ""
        at = as_utc(contact.at)
        matched = bool(email) and data.knows(email)
        repurchased = _reached(data.purchases.get(email, ()), at, windows) if matched else ()
        churned = matched and bool(_reached(data.churns.get(email, ()), at, windows[-1:]))
        overall.add(matched, repurchased, churned)
        for name, side in contact.splits.items():
            tally = splits.setdefault(name, {}).setdefault(bool(side), _Tally())
            tally.add(matched, repurchased, churned)
    return RetentionFigures(
        windows_days=windows,
        all=overall.figures(windows),
        splits={
            name: {side: sides.get(side, _Tally()).figures(windows) for side in (True, False)}
            for name, sides in splits.items()
        },
        unmatched=overall.contacts - overall.matched,
    )


def _reached(
    times: tuple[datetime, ...], at: datetime, windows: tuple[int, ...]
) -> tuple[int, ...]:
    """The windows (days) within which `times` (sorted) holds a time after `at`: those
    for which the first time after `at` is in (at, at + window]."""
    index = bisect_right(times, at)
    if index == len(times):
        return ()
    first_after = times[index]
    return tuple(days for days in windows if first_after <= at + timedelta(days=days))
