"""A CARE store with the history the report reads: N tickets over 90 days up to now.

    .venv/bin/python bench/report_history.py --url sqlite:////tmp/care-report.db
    .venv/bin/python bench/report_history.py --url postgresql+psycopg://postgres@127.0.0.1:5432/care_bench

Fills an empty store (`Store.open` migrates it first) with `--tickets` tickets
(default 1,000,000) created over the 90 days before the seeding's "now", and what
the report reads beside them: the waits of the response SLA (first and next
replies), the actions of resolve.two_interactions, resolve.passed_around and
resolve.response_sla, the surveys sent and their answers. Generated with a seeded
random: the same --tickets, --seed and --end give the same rows, whatever the
database (the end defaults to the seeding's "now"; the weekday shape follows the
calendar, so another end gives other rows). The end is kept in the marker table
`bench_report_seed`, which bench/report.py reads as the report's end. A database
seeded already is left as it is; one with tickets and no marker is refused.

How the history is shaped (see docs/performance.md, "The report over 1,000,000
tickets"): two helpdesks (zendesk 80 %, freshdesk 20 %), 12 groups (an
"escalations" group in each), 150 agents, a weekday and working-hours shape,
first replies log-normal around 3 hours with a tail of days, 0 to 6 agent replies,
a first-reply wait for each ticket a poll saw unanswered and next-reply waits about 0.8
a ticket, a warning and a breach action for each wait past 75 % and 100 % of its
priority's target, surveys for 60 % of solved tickets, requesters who come back.

Inserted in bulk: PostgreSQL by COPY, then VACUUM ANALYZE (what autovacuum would do
after such a load); SQLite by executemany in one transaction with synchronous=OFF on
the seeding connection only (and no ANALYZE: the product never runs it).
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

from sqlalchemy import make_url

from care.store.database import open_engine

DAYS = 90
HOUR, DAY = 3600.0, 86400.0
POLL_S = 300  # a poll every 5 minutes: waits, breaches and ends are seen this late
MARKER = "bench_report_seed"

# The response targets the benchmark's policy sets (seconds); bench/report.py uses them.
TARGETS = {"urgent": 4 * HOUR, "high": 8 * HOUR, "normal": 24 * HOUR, "low": 48 * HOUR}
WARNING_RATIO = 0.75
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (15, 62, 17, 6)
REPLY_FACTOR = {"urgent": 0.3, "high": 0.6, "normal": 1.0, "low": 1.5}

# group id -> weight; the last of each helpdesk is its escalations group
GROUPS = {
    "zendesk": (
        {
            "360000101": 30,
            "360000102": 20,
            "360000103": 14,
            "360000104": 10,
            "360000105": 9,
            "360000106": 7,
            "360000107": 6,
            "360000108": 4,
        },
        "360000199",
    ),
    "freshdesk": ({"80000000011": 65, "80000000012": 35}, "80000000019"),
}
AGENTS = {"zendesk": 120, "freshdesk": 30}
ESCALATION_AGENTS = {"zendesk": 6, "freshdesk": 3}
HELPDESK_SHARE = {"zendesk": 0.8, "freshdesk": 0.2}
REPEAT_SHARE = 0.35  # of tickets: from a pool of repeat customers, heavy users first
REPEAT_POOL = 0.06  # its size, per ticket of the helpdesk: 48,000 zendesk customers at 1M

TICKET_COLUMNS = (
    "helpdesk", "ticket_id", "requester_id", "requester_email", "status", "priority",
    "group_id", "assignee_id", "created_at", "updated_at", "solved_at",
    "last_agent_reply_at", "waiting_since", "last_requester_message_at", "agent_replies",
    "first_agent_reply_at", "first_reply_group_id", "reopens", "group_hops",
    "assignee_hops", "tags", "seen_at",
)  # fmt: skip
WAIT_COLUMNS = (
    "helpdesk", "ticket_id", "started_at", "kind", "group_id", "breached_at", "ended_at",
    "end_group_id",
)  # fmt: skip
ACTION_COLUMNS = (
    "helpdesk", "ticket_id", "rule", "variant", "state", "reason", "add_tags",
    "remove_tags", "set_priority", "set_group", "note", "note_public", "notify",
    "created_at", "claimed_at", "applied_at", "attempts", "notified_at", "notify_attempts",
)  # fmt: skip
OUTBOX_COLUMNS = (
    "helpdesk", "ticket_id", "requester_id", "requester_email", "requester_name", "subject",
    "solved_at", "due_at", "state", "attempts", "sent_at", "message_id", "skip_reason",
    "created_at", "updated_at", "send_started_at", "link_nonce",
)  # fmt: skip
ANSWER_COLUMNS = (
    "helpdesk", "ticket_id", "requester_email", "answer", "answered_at",
    "answer_written_at", "comment", "commented_at", "comment_written_at",
)  # fmt: skip
TABLES = (
    ("ticket_snapshots", TICKET_COLUMNS),
    ("ticket_waits", WAIT_COLUMNS),
    ("action_log", ACTION_COLUMNS),
    ("survey_outbox", OUTBOX_COLUMNS),
    ("survey_answers", ANSWER_COLUMNS),
)


@dataclass(frozen=True)
class Seeded:
    tickets: int
    seed: int
    end: datetime  # the seeding's "now": no ticket, wait or answer after it
    seconds: float  # how long seeding took


@dataclass
class Rows:
    tickets: list[tuple] = field(default_factory=list)
    waits: list[tuple] = field(default_factory=list)
    actions: list[tuple] = field(default_factory=list)
    outbox: list[tuple] = field(default_factory=list)
    answers: list[tuple] = field(default_factory=list)

    def tables(self) -> tuple[list[tuple], ...]:
        return (self.tickets, self.waits, self.actions, self.outbox, self.answers)


def hour_weight(moment: datetime) -> float:
    """How busy an hour is: working hours (UTC) on weekdays, a quiet weekend."""
    day = (1.0, 1.0, 0.95, 0.95, 0.85, 0.35, 0.3)[moment.weekday()]
    hour = moment.hour
    if 8 <= hour < 18:
        shape = 1.0
    elif 6 <= hour < 8 or 18 <= hour < 21:
        shape = 0.5
    else:
        shape = 0.15
    return day * shape


class History:
    """Generates the rows day by day, oldest first; one Random drives everything."""

    def __init__(self, tickets: int, seed: int, end: datetime) -> None:
        self.total = tickets
        self.rand = random.Random(seed)
        self.end = end
        self.start = (end - timedelta(days=DAYS)).astimezone(UTC).replace(tzinfo=None)  # naive UTC
        self.end_s = DAYS * DAY  # times are seconds after `start`
        self.next_id = {"zendesk": 1_000_000, "freshdesk": 50_000}
        self.next_one_off = {"zendesk": 40_000_000, "freshdesk": 70_000_000}
        self.agents: dict[tuple[str, str], list[str]] = {}
        for helpdesk, (groups, escalations) in GROUPS.items():
            prefix = "39000" if helpdesk == "zendesk" else "81000"
            n_agents = AGENTS[helpdesk] - ESCALATION_AGENTS[helpdesk]
            names = [f"{prefix}{i:04d}" for i in range(AGENTS[helpdesk])]
            weight_sum = sum(groups.values())
            at = 0
            for group, weight in groups.items():
                size = max(3, round(n_agents * weight / weight_sum))
                self.agents[(helpdesk, group)] = names[at : at + size] or names[-3:]
                at += size
            self.agents[(helpdesk, escalations)] = names[-ESCALATION_AGENTS[helpdesk] :]

    # -- time ------------------------------------------------------------------

    def day_counts(self) -> list[int]:
        """Tickets created on each of the 90 days (by the hours' weights, growing 10 %
        over the period), summing to the total."""
        weights = []
        for day in range(DAYS):
            hours = (self.start + timedelta(days=day, hours=h) for h in range(24))
            weights.append(sum(hour_weight(h) for h in hours) * (1 + 0.1 * day / DAYS))
        whole = sum(weights)
        counts = [int(self.total * w / whole) for w in weights]
        for day in range(self.total - sum(counts)):  # the rounding's remainder
            counts[-1 - day % DAYS] += 1
        return counts

    def creation_times(self, day: int, count: int) -> list[float]:
        r = self.rand
        found = []
        while len(found) < count:
            t = (day + r.random()) * DAY
            if r.random() < hour_weight(self.start + timedelta(seconds=t)):
                found.append(float(int(t)))
        return sorted(found)

    def text(self, t: float | None) -> str | None:
        """A moment as both databases take it: naive UTC text (PostgreSQL's session is
        in UTC), to the second, with SQLAlchemy's SQLite microseconds."""
        if t is None:
            return None
        return (self.start + timedelta(seconds=int(t))).isoformat(" ", "microseconds")

    # -- rows --------------------------------------------------------------------

    def days(self) -> Iterator[Rows]:
        for day, count in enumerate(self.day_counts()):
            rows = Rows()
            for created in self.creation_times(day, count):
                self.ticket(created, rows)
            yield rows

    def requester(self, helpdesk: str) -> str:
        r = self.rand
        if r.random() < REPEAT_SHARE:
            # heavy users first: u^3 puts most draws on the pool's first ids
            pool = max(1, int(self.total * HELPDESK_SHARE[helpdesk] * REPEAT_POOL))
            return str(10_000_000 + int(pool * r.random() ** 3))
        self.next_one_off[helpdesk] += 1
        return str(self.next_one_off[helpdesk])

    def ticket(self, created: float, rows: Rows) -> None:
        r, end = self.rand, self.end_s
        helpdesk = "zendesk" if r.random() < HELPDESK_SHARE["zendesk"] else "freshdesk"
        self.next_id[helpdesk] += 1
        ticket_id = str(self.next_id[helpdesk])
        requester = self.requester(helpdesk)
        email = f"c{requester}@customers.example"
        priority = r.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
        target = TARGETS[priority]
        groups, escalations = GROUPS[helpdesk]
        group = r.choices(tuple(groups), tuple(groups.values()))[0]
        assignee: str | None = r.choice(self.agents[(helpdesk, group)])
        group_hops = r.choices((0, 1, 2, 3, 4), (80, 13.5, 5, 1, 0.5))[0]
        assignee_hops = r.choices((0, 1, 2, 3, 4, 5), (72, 18.3, 8, 1.2, 0.4, 0.1))[0]
        reopens = r.choices((0, 1, 2), (91.5, 7, 1.5))[0]
        tags: list[str] = []

        # The first reply: log-normal around 3 hours (by priority), a tail of days, the
        # weekend waited out; 7 % of tickets never get one.
        first: float | None = None
        if r.random() >= 0.07:
            delay = r.lognormvariate(math.log(3 * HOUR), 1.1) * REPLY_FACTOR[priority]
            if r.random() < 0.05:
                delay = r.uniform(1, 6) * DAY
            weekday = (self.start + timedelta(seconds=created)).weekday()
            if weekday >= 5 and r.random() < 0.7:
                delay += (7 - weekday) * DAY - (created % DAY) + 8 * HOUR
            first = created + max(60.0, float(int(delay)))
        replies = r.choices((1, 2, 3, 4, 5, 6), (42, 28, 13, 8, 5, 4))[0] if first else 0
        escalated = replies >= 3 and r.random() < 0.27
        moved = escalated and r.random() < 0.8

        # The conversation: (time, who) events; a requester message after an agent reply
        # starts a next-reply wait unless the agent wrote unasked.
        waits: list[list[Any]] = []  # [start, end|None, group, end_group]
        current_group = group
        first_group = group if first is not None and first < end else None
        last_agent = first
        last_requester = created
        waiting_since: float | None = None
        escalated_at: float | None = None
        t = first
        for k in range(2, replies + 1):
            assert t is not None
            if r.random() < 0.66:  # the requester wrote: a next-reply wait
                t += 1 + float(int(r.lognormvariate(math.log(6 * HOUR), 1.0)))
                if t >= end:
                    break
                last_requester = t
                wait: list[Any] = [t, None, current_group, None]
                if escalated and escalated_at is None and k >= 3:
                    escalated_at = t + r.uniform(0, POLL_S)
                    if moved:
                        current_group = escalations
                        assignee = r.choice(self.agents[(helpdesk, escalations)])
                waits.append(wait)
                reply = r.lognormvariate(math.log(3 * HOUR), 1.2) * REPLY_FACTOR[priority]
                t += 1 + float(int(reply))
                if t >= end:
                    waiting_since = last_requester
                    break
                wait[1], wait[3] = t + r.uniform(0, POLL_S), current_group
            else:  # the agent wrote unasked
                t += 1 + float(int(r.lognormvariate(math.log(8 * HOUR), 0.8)))
                if t >= end:
                    break
            last_agent = t

        # Solved some hours after the last agent reply (3 % of answered tickets linger),
        # reopened as often as drawn (one more wait and reply each), closed after 4 days.
        solved: float | None = None
        if first is None:
            if created + 3 * DAY < end and r.random() < 0.85:
                solved = created + r.uniform(3, 48) * HOUR  # spam, duplicates, merged
        elif last_agent is not None and last_agent < end and waiting_since is None:
            lingers = r.random() < 0.03  # answered, never solved
            if not lingers:
                solved = last_agent + float(int(r.lognormvariate(math.log(12 * HOUR), 1.0)))
        if solved is not None and solved >= end:
            solved = None
        done_reopens = 0
        while solved is not None and done_reopens < reopens:
            back = solved + float(int(r.lognormvariate(math.log(2 * DAY), 0.8)))
            if back >= end:
                break
            done_reopens += 1
            last_requester = back
            wait = [back, None, current_group, None]
            waits.append(wait)
            answer = back + float(int(r.lognormvariate(math.log(4 * HOUR), 1.0)))
            replies += 1
            if answer >= end:
                solved, waiting_since = None, back
                break
            wait[1], wait[3] = answer + r.uniform(0, POLL_S), current_group
            last_agent = answer
            solved = answer + float(int(r.lognormvariate(math.log(12 * HOUR), 1.0)))
            if solved >= end:
                solved = None

        if moved:
            group_hops += 1
            assignee_hops += 1
        elif group_hops and first_group is not None and r.random() < 0.4:
            current_group = r.choice([g for g in groups if g != group])
        if first is None or first >= end:
            first = None
            first_group = None
            replies = 0
            last_agent = None
            if solved is None:
                waiting_since = created
                if r.random() < 0.7:
                    assignee = None
        if solved is not None:
            status = "closed" if solved + 4 * DAY < end else "solved"
        elif first is None:
            status = "new" if r.random() < 0.8 else "open"
        elif waiting_since is not None:
            status = "open"
        else:
            status = r.choices(("pending", "hold", "open"), (80, 8, 12))[0]
        if escalated_at is not None:
            tags.append("care_escalated")
        events = [x for x in (created, first, last_agent, last_requester, solved) if x is not None]
        updated = min(max(events) + r.uniform(0, 60), end - 1)
        seen = min(updated + r.uniform(0, POLL_S), end - 1)
        passed = group_hops >= 3 or assignee_hops >= 3
        if passed:
            tags.append("care_passed_around")
        tx = self.text
        rows.tickets.append(
            (
                helpdesk, ticket_id, requester, email, status, priority, current_group,
                assignee, tx(created), tx(updated), tx(solved), tx(last_agent),
                tx(waiting_since), tx(last_requester), replies, tx(first), first_group,
                done_reopens, group_hops, assignee_hops, _json(tags), tx(seen),
            )
        )  # fmt: skip

        # The first-reply wait, when a poll saw the ticket unanswered.
        first_end = solved if first is None else first + r.uniform(0, POLL_S)
        if first is None or first - created > r.uniform(0, POLL_S):
            first_end = None if first_end is None or first_end >= end else first_end
            waits.insert(0, [created, first_end, group, group if first_end is not None else None])
            first_kind = True
        else:
            first_kind = False
        for i, (start, stop, wait_group, stop_group) in enumerate(waits):
            kind = "first_reply" if first_kind and i == 0 else "next_reply"
            lasted = (stop if stop is not None else end) - start
            breached = start + target + r.uniform(0, POLL_S) if lasted > target else None
            if breached is not None and breached >= end:
                breached = None
            rows.waits.append(
                (
                    helpdesk, ticket_id, tx(start), kind, wait_group, tx(breached), tx(stop),
                    stop_group,
                )
            )  # fmt: skip
            if lasted > target * WARNING_RATIO:
                key = (self.start + timedelta(seconds=int(start))).strftime("%Y%m%dT%H%M%SZ")
                warned = start + target * WARNING_RATIO + r.uniform(0, POLL_S)
                if warned < end:
                    rows.actions.append(
                        self.action(
                            helpdesk, ticket_id, "resolve.response_sla", f"warning:{key}",
                            warned, "the wait is past 75 % of its target",
                            ["care_sla_warning"], [],
                        )
                    )  # fmt: skip
                if breached is not None:
                    rows.actions.append(
                        self.action(
                            helpdesk, ticket_id, "resolve.response_sla", f"breached:{key}",
                            breached, "the wait is past its target",
                            ["care_sla_breached"], ["care_sla_warning"], notify=True,
                        )
                    )  # fmt: skip

        if escalated_at is not None and escalated_at < end:
            rows.actions.append(
                self.action(
                    helpdesk, ticket_id, "resolve.two_interactions", "", escalated_at,
                    "the requester wrote again after 2 agent replies",
                    ["care_escalated"], [], notify=True,
                    set_priority=None if priority == "urgent" else "urgent",
                    set_group=escalations if moved else None,
                )
            )  # fmt: skip
        if passed:
            moment = min(created + r.uniform(1, 72) * HOUR, end - 1)
            rows.actions.append(
                self.action(
                    helpdesk, ticket_id, "resolve.passed_around", "", moment,
                    f"the ticket moved between groups {group_hops} times",
                    ["care_passed_around"], [],
                )
            )  # fmt: skip
        if solved is not None:
            self.survey(helpdesk, ticket_id, requester, email, solved, rows)

    def action(
        self,
        helpdesk: str,
        ticket_id: str,
        rule: str,
        variant: str,
        moment: float,
        reason: str,
        add: list[str],
        remove: list[str],
        notify: bool = False,
        set_priority: str | None = None,
        set_group: str | None = None,
    ) -> tuple:
        tx = self.text
        applied = min(moment + self.rand.uniform(1, 20), self.end_s - 1)
        note = f"CARE: {reason}." if notify else None
        return (
            helpdesk, ticket_id, rule, variant, "applied", reason, _json(add), _json(remove),
            set_priority, set_group, note, False, notify, tx(moment), tx(moment), tx(applied),
            0, tx(applied) if notify else None, 0,
        )  # fmt: skip

    def survey(
        self, helpdesk: str, ticket_id: str, requester: str, email: str, solved: float, rows: Rows
    ) -> None:
        r, tx, end = self.rand, self.text, self.end_s
        due = solved + DAY
        created = solved + r.uniform(0, POLL_S)
        if created >= end:
            return
        state, sent, reason = "scheduled", None, None
        if due < end:
            draw = r.random()
            if draw < 0.6:
                state, sent = "sent", min(due + r.uniform(0, 600), end - 1)
            elif draw < 0.85:
                state, reason = "skipped", "requester_cooldown"
            else:
                return  # no survey: no e-mail address, a tag, a disabled rule
        updated = sent or (due if state == "skipped" else created)
        rows.outbox.append(
            (
                helpdesk, ticket_id, requester, email, f"Customer {requester}",
                f"Ticket {ticket_id}", tx(solved), tx(due), state, 1 if sent else 0,
                tx(sent), f"<s{helpdesk}{ticket_id}@care.example>" if sent else None, reason,
                tx(created), tx(updated), tx(sent), f"{r.getrandbits(64):016x}",
            )
        )  # fmt: skip
        if sent is None or r.random() >= 0.3:
            return
        answered = sent + r.lognormvariate(math.log(3 * HOUR), 1.3)
        if answered >= end:
            return
        comment = r.random() < 0.15
        commented = answered + r.uniform(10, 120) if comment else None
        if commented is not None and commented >= end:
            comment, commented = False, None
        rows.answers.append(
            (
                helpdesk, ticket_id, email, "solved" if r.random() < 0.78 else "unsolved",
                tx(answered), tx(min(answered + 60, end - 1)),
                "Thanks, that did it." if comment else None, tx(commented),
                tx(min(commented + 60, end - 1)) if commented else None,
            )
        )  # fmt: skip


def _json(items: list[str]) -> str:
    return "[" + ", ".join(f'"{x}"' for x in items) + "]"


# -- the database --------------------------------------------------------------------


def seeded(url: str) -> Seeded | None:
    """What seeded this store, or None when nothing has."""
    engine = open_engine(url)  # migrated to head, as Store.open does
    try:
        with engine.connect() as conn:
            if not conn.dialect.has_table(conn, MARKER):
                tickets = conn.exec_driver_sql("SELECT count(*) FROM ticket_snapshots").scalar()
                if tickets:
                    raise SystemExit(f"{url}: {tickets} tickets and no {MARKER}: not ours")
                return None
            n, seed, end, seconds = conn.exec_driver_sql(
                f"SELECT tickets, seed, end_at, seconds FROM {MARKER}"
            ).one()
    finally:
        engine.dispose()
    return Seeded(int(n), int(seed), datetime.fromisoformat(end), float(seconds))


def seed(url: str, tickets: int, seed_: int = 1, end: datetime | None = None) -> Seeded:
    """Fill an empty store (migrated here), unless `url` is seeded already."""
    found = seeded(url)
    if found is not None:
        if found.tickets != tickets or found.seed != seed_:
            raise SystemExit(
                f"{url} holds {found.tickets:,} tickets of seed {found.seed}, "
                f"not {tickets:,} of seed {seed_}: give another database"
            )
        return found
    end = end or datetime.now(UTC).replace(microsecond=0)
    history = History(tickets, seed_, end)
    started = time.monotonic()
    backend = make_url(url).get_backend_name()
    counts = (
        _load_postgresql(url, history) if backend == "postgresql" else _load_sqlite(url, history)
    )
    result = Seeded(tickets, seed_, end, time.monotonic() - started)
    _mark(url, result)
    names = ", ".join(f"{n:,} {t}" for (t, _), n in zip(TABLES, counts, strict=True))
    print(f"seeded {names} in {result.seconds:.0f} s", flush=True)
    return result


def _load_sqlite(url: str, history: History) -> list[int]:
    path = make_url(url).database
    assert path, "a SQLite file, not memory"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # this connection only, for the load
    conn.execute("PRAGMA cache_size=-200000")
    counts = [0] * len(TABLES)
    statements = [
        f"INSERT INTO {t} ({', '.join(c)}) VALUES ({', '.join('?' * len(c))})" for t, c in TABLES
    ]
    conn.execute("BEGIN")
    for day, rows in enumerate(history.days()):
        for i, (statement, batch) in enumerate(zip(statements, rows.tables(), strict=True)):
            conn.executemany(statement, batch)
            counts[i] += len(batch)
        _progress(day, counts)
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return counts


def _load_postgresql(url: str, history: History) -> list[int]:
    import psycopg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    counts = [0] * len(TABLES)
    with psycopg.connect(plain) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        with conn.cursor() as cur:
            for day, rows in enumerate(history.days()):
                for i, ((table, columns), batch) in enumerate(
                    zip(TABLES, rows.tables(), strict=True)
                ):
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in batch:
                            copy.write_row(row)
                    counts[i] += len(batch)
                _progress(day, counts)
        conn.commit()
        conn.autocommit = True
        print("VACUUM ANALYZE …", flush=True)
        for table, _ in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
    return counts


def _progress(day: int, counts: list[int]) -> None:
    if day % 10 == 9:
        print(f"  day {day + 1} of {DAYS}: {counts[0]:,} tickets", flush=True)


def _mark(url: str, result: Seeded) -> None:
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TABLE {MARKER} (tickets INTEGER, seed INTEGER, end_at VARCHAR, seconds FLOAT)"
        )
        conn.exec_driver_sql(
            f"INSERT INTO {MARKER} VALUES ({result.tickets}, {result.seed}, "
            f"'{result.end.isoformat()}', {result.seconds})"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of an empty database")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--end", type=datetime.fromisoformat, help="where the history ends (default: now, UTC)"
    )
    args = parser.parse_args()
    end = args.end.astimezone(UTC) if args.end else None
    result = seed(args.url, args.tickets, args.seed, end)
    print(f"{args.url}: {result.tickets:,} tickets up to {result.end.isoformat()}")


if __name__ == "__main__":
    main()
