"""The calendar as UTC days, for the report's SQL: the same seconds as `elapsed`."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from care.domain.business_hours import elapsed, utc_days
from care.domain.policy import BusinessHours


def test_utc_days_add_up_to_what_elapsed_counts() -> None:
    calendar = BusinessHours(timezone="America/Los_Angeles", start=time(9), end=time(17))
    start = datetime(2026, 3, 5, 20, tzinfo=UTC)  # around the March DST change
    first = int(start.timestamp()) // 86400
    days = utc_days(calendar, first, first + 12)

    def counted_until(moment: datetime) -> float:
        day = days[int(moment.timestamp()) // 86400 - first]
        t = moment.timestamp()
        return day.counted + sum(min(max(t - a, 0), b - a) for a, b in day.spans)

    for hours in (0, 5, 13, 27, 50, 80, 100, 150, 200, 250, 280):
        end = start + timedelta(hours=hours)
        expected = elapsed(start, end, calendar).total_seconds()
        assert counted_until(end) - counted_until(start) == expected, hours
    assert all(len(d.spans) <= 3 for d in days)


def test_the_report_takes_the_policy_calendar_and_targets() -> None:
    from care.domain.metrics import Thresholds
    from care.domain.model import Priority
    from care.domain.policy import Policy, ResponseSla, Rules

    calendar = BusinessHours(timezone="Europe/Berlin")
    sla = ResponseSla(target_hours=8, targets_by_priority={Priority.URGENT: 2})
    policy = Policy(rules=Rules(response_sla=sla), business_hours=calendar)
    thresholds = Thresholds.from_policy(policy, came_back_days=10)
    assert thresholds.calendar == calendar and thresholds.came_back_days == 10
    assert (thresholds.target_s, thresholds.targets_by_priority) == (8 * 3600, (("urgent", 7200),))
