"""With a business-hours calendar the report judges breaches as the SLA rule does: only
opening hours count (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from care.domain.metrics import Metrics, Rate, Thresholds
from care.domain.model import Status
from care.domain.periods import CURRENT, ReportPeriods
from care.domain.policy import BusinessHours
from care.domain.scopes import Level, ScopeKey
from care.domain.waits import Wait, WaitKind
from care.store import Store, WaitObservation
from tests.rules.builders import ticket

NINE_TO_FIVE = Thresholds(calendar=BusinessHours(timezone="UTC", start=time(9), end=time(17)))
END = datetime(2026, 3, 14, 12, tzinfo=UTC)  # a Saturday
PERIODS = ReportPeriods(END, days=7, weeks=0)
MON = datetime(2026, 3, 9, tzinfo=UTC)


def at(day: int, hour: float) -> datetime:
    return MON + timedelta(days=day, hours=hour)


def made(id: str, created: datetime, reply: datetime | None, **fields: object):
    values: dict[str, object] = {
        "id": id,
        "created_at": created,
        "updated_at": END - timedelta(hours=1),
        "first_agent_reply_at": reply,
        "last_agent_reply_at": reply,
        "last_requester_message_at": created,
        "agent_replies": 1 if reply else 0,
    }
    return ticket(**(values | fields))


def overall(store: Store, thresholds: Thresholds) -> Metrics:
    return Metrics.of(store.report_scopes(PERIODS, thresholds)[ScopeKey(CURRENT, Level.ALL)])


def test_first_replies_count_opening_hours_only(store: Store) -> None:
    store.upsert_snapshots(
        [
            made("1", at(4, 16), at(7, 10)),  # Fri 16:00 → Mon 10:00: 2 h open, 66 h in all
            made("2", at(0, 9), at(3, 10)),  # Mon 09:00 → Thu 10:00: 25 opening hours
            made("3", at(1, 9), at(2, 16)),  # Tue 09:00 → Wed 16:00: 15 opening hours
            made("4", at(2, 9), None),  # Wed 09:00, open at the end: 24 opening hours, not past
            made("5", at(0, 10), None),  # Mon 10:00, open at the end: 39 opening hours
        ],
        END,
    )
    assert overall(store, NINE_TO_FIVE).first_reply_breached == Rate(2, 5)  # 2 and 5
    assert overall(store, Thresholds()).first_reply_breached == Rate(5, 5)  # in all hours


def test_next_replies_count_opening_hours_only(store: Store) -> None:
    store.upsert_snapshots([made("1", at(0, 9), at(0, 10), status=Status.OPEN)], END)
    for started, ended in ((at(1, 12), at(3, 13)), (at(3, 16), None)):
        wait = Wait(started, WaitKind.NEXT_REPLY)
        store.record_waits([WaitObservation("zendesk", "1", "g", wait, False, started)], started)
        if ended:
            store.record_waits([WaitObservation("zendesk", "1", "g", None, False, ended)], ended)
    # Tue 12:00 → Thu 13:00: 5 + 8 + 4 = 17 opening hours (49 in all); the second still
    # runs at the end: Thu 16:00 → Sat 12:00, 1 + 8 = 9 opening hours (44 in all)
    assert overall(store, NINE_TO_FIVE).next_reply_breached == Rate(0, 2)
    assert overall(store, Thresholds()).next_reply_breached == Rate(2, 2)
