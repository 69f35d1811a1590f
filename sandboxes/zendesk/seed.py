"""Deterministic sandbox data: the named CARE scenarios first, then synthetic filler.

Everything is a pure function of (seed, total tickets, now): ticket *i* is computed on
demand, so a million tickets cost no memory. Scenario tickets take ids 1..len(SCENARIOS);
filler follows, its `generated_timestamp` non-decreasing with the id, so the export order
(generated_timestamp, id) of untouched filler is the id order.

How the Ticket Metrics (`metric_sets`) fields express what CARE reads:

- number of public agent replies: `replies`;
- first agent reply: `created_at + reply_time_in_minutes.calendar` (null while `replies` is 0);
- last agent reply: `assignee_updated_at` when `replies > 0` (agents reply as the assignee);
- last requester message: `requester_updated_at`;
- the requester wrote after the last agent reply: `requester_updated_at > assignee_updated_at`,
  and then `latest_comment_added_at == requester_updated_at`;
- group / assignee hops: `group_stations - 1` / `assignee_stations - 1` (each `move` adds
  one); reopens: `reopens`.

All seeded timestamps lie in (now - BACKFILL + 1 h, now - 2 min]. `SCENARIOS[name].rules` are
the rules expected to fire at `now` with the default policy, reading repeat contact as "the
requester's tickets created in the 7 days up to this ticket's creation, this one included".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, TypeVar

from sandboxes.scenarios import PEOPLE, SCENARIOS, SPECS, Scenario
from sandboxes.zendesk.records import (
    ADMIN_ID,
    AGENT_BASE,
    AGENTS,
    BACKFILL,
    DAY,
    GROUP_BASE,
    GROUPS,
    HOUR,
    MIN,
    ORG_BASE,
    ORGS,
    PERSON_BASE,
    REQUESTER_BASE,
    TYPES,
    Rec,
    mix,
)
from sandboxes.zendesk.scenarios import scenario_rec

__all__ = ["SCENARIOS", "Scenario", "Seed"]

T = TypeVar("T")

_TOPICS = (
    ("How do I reset my password?", "The reset password link has expired.", "account"),
    ("Refund request for order {n}", "I returned the item; where is my refund?", "billing"),
    ("Invoice for order {n}", "Please send me the invoice with our VAT number.", "billing"),
    ("Two-factor authentication problem", "My authenticator app shows codes that fail.", "account"),
    ("Export data to spreadsheet", "How can I export my data for the last year?", "data"),
    ("Order {n} has not arrived", "Tracking has not moved for five days.", "shipping"),
    ("Damaged item in order {n}", "One leg of the chair is bent.", "shipping"),
    ("Change delivery address", "Can I still change the address for order {n}?", "shipping"),
    ("Cancel my subscription", "Please cancel my subscription at the end of the month.", "billing"),
    ("App crashes on start", "Since the last update the app closes immediately.", "bug"),
    ("Discount code not working", "The code from your newsletter is rejected.", "billing"),
    ("Question about assembly", "Step 7 of the manual is unclear to me.", "product"),
    ("Missing parts in order {n}", "Two screws are missing from the package.", "shipping"),
    ("Warranty question", "Is the warranty still valid after moving abroad?", "product"),
    ("Feature request: dark mode", "It would be great to have a dark mode.", "feedback"),
    ("Payment declined", "My card is declined although it works elsewhere.", "billing"),
)
_FIRST = (
    "Anna",
    "Ben",
    "Chloe",
    "David",
    "Elena",
    "Felix",
    "Grace",
    "Henry",
    "Isla",
    "Jonas",
    "Kira",
    "Luca",
    "Maya",
    "Nils",
    "Oscar",
    "Paula",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Will",
    "Xenia",
    "Yusuf",
    "Zara",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dmitri",
)
_LAST = (
    "Adams",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gomez",
    "Hansen",
    "Ivanova",
    "Jansen",
    "Keller",
    "Lopez",
    "Meyer",
    "Nakamura",
    "Olsen",
    "Petrov",
    "Quinn",
    "Rahman",
    "Santos",
    "Torres",
    "Ueda",
    "Vargas",
    "Weber",
    "Young",
    "Zimmer",
)
_CHANNELS = ("web",) * 8 + ("email",) * 7 + ("api",) * 2 + ("chat",) * 2 + ("voice",)

# Shares in % of filler tickets, in the order the roll (0-99) walks them. A ticket updated
# in the last 3 days is still being worked on; older ones are mostly solved or closed.
_STATUS_RECENT = {"new": 18, "open": 32, "pending": 13, "hold": 5, "solved": 32}
_STATUS_OLDER = {"solved": 60, "closed": 25, "pending": 7, "open": 4, "hold": 4}
_PRIORITY = {None: 5, "low": 15, "normal": 55, "high": 20, "urgent": 5}
_EXTRA_TAGS = (("error_page", 40, 3), ("vip", 52, 5))  # (tag, bits of the hash read, %)
# From one more roll (0-99): each bound it passes is a move; these values, one reopen.
_GROUP_MOVES = (90, 96)
_ASSIGNEE_MOVES = (85, 95)
_REOPENED = (7, 8)


def _weighted(shares: Mapping[T, int], roll: int) -> T:
    """The choice whose share (in %, taken in order) holds `roll` (0-99)."""
    for choice, share in shares.items():
        if roll < share:
            return choice
        roll -= share
    raise ValueError(f"shares add up to less than 100: {dict(shares)}")


class _Timeline(NamedTuple):
    created: int
    replies: int
    first_reply: int | None
    agent: int | None  # the last agent reply
    requester: int  # the last requester message
    solved: int | None


def _timeline(status: str, updated: int, g: int) -> _Timeline:
    """When a filler ticket was created, answered, written to and solved, from hash `g`."""
    created = updated - (0 if status == "new" and g % 3 == 0 else g % (4 * DAY))
    replies = 0 if status == "new" else (g >> 8) % 4 + (status != "open")
    first_reply = created + 10 * MIN + (g >> 16) % (20 * HOUR) if replies else None
    if first_reply is not None and first_reply > updated:
        first_reply = created + (updated - created) // 3
    requester_after = replies > 0 and status in ("open", "hold") and (g >> 32) % 2 == 0
    solved = None
    if status in ("solved", "closed"):
        solved = updated if status == "solved" else updated - 4 * DAY
        created = min(created, solved - HOUR)
        first_reply = min(first_reply or solved, solved)
    if not replies:
        agent = None
    elif requester_after:
        agent = max(first_reply or created, updated - 1 - (g >> 40) % (12 * HOUR))
    else:
        agent = updated
    if solved is not None and agent is not None:
        agent = min(agent, solved)
    if requester_after:
        requester = updated
    elif not replies:
        requester = created
    else:
        requester = max(created, (agent or created) - HOUR)
    return _Timeline(created, replies, first_reply, agent, requester, solved)


class Seed:
    """The deterministic base data of one sandbox: tickets, users and their timestamps."""

    def __init__(
        self, tickets: int, seed: int, now: int, scenarios: bool, agents: int = AGENTS
    ) -> None:
        """`agents`: how many agents the account has; the seeded tickets are assigned to
        the first AGENTS of them, the others hold none."""
        if agents < AGENTS:
            raise ValueError(f"the seeded tickets need at least {AGENTS} agents")
        self.seed, self.now, self.agents = seed, now, agents
        self.scenario_count = len(SPECS) if scenarios else 0
        self.total = max(tickets, self.scenario_count)
        self.first_filler = self.scenario_count + 1
        self.filler = self.total - self.scenario_count
        self._start = now - BACKFILL + HOUR
        self._span = BACKFILL - HOUR - 3 * MIN
        self.pool = max(10, self.filler // 3)  # shared requesters: some open several tickets

    # -- tickets -----------------------------------------------------------------------
    def scenario_recs(self) -> list[Rec]:
        return [scenario_rec(i + 1, SPECS[i], self.now) for i in range(self.scenario_count)]

    def filler_gts(self, k: int) -> int:
        """generated_timestamp of the k-th filler ticket (id first_filler + k), non-decreasing."""
        return self._start + (k * self._span) // max(self.filler, 1)

    def filler_rec(self, tid: int) -> Rec:
        """Filler ticket `tid`: what it is from one hash of (seed, id), its timeline from
        another, each choice from its own bits and the tables above."""
        h, g = mix(self.seed, tid, 1), mix(self.seed, tid, 2)
        updated = self.filler_gts(tid - self.first_filler)
        recent = self.now - updated < 3 * DAY
        status = _weighted(_STATUS_RECENT if recent else _STATUS_OLDER, h % 100)
        p = (h >> 8) % 100
        topic = _TOPICS[(h >> 16) % len(_TOPICS)]
        order_no = 10_000 + (h >> 24) % 90_000
        tags = [topic[2]] + [tag for tag, bits, share in _EXTRA_TAGS if (h >> bits) % 100 < share]
        times = _timeline(status, updated, g)
        assigned = status != "new"
        hops = (g >> 56) % 100
        requester_id = REQUESTER_BASE + mix(self.seed, tid, 4) % self.pool
        return Rec(
            id=tid,
            subject=topic[0].format(n=order_no),
            description=topic[1].format(n=order_no),
            status=status,
            priority=_weighted(_PRIORITY, p),
            type=TYPES[(h >> 36) % 4] if p % 10 else None,
            tags=tags,
            channel=_CHANNELS[(h >> 44) % len(_CHANNELS)],
            requester_id=requester_id,
            assignee_id=AGENT_BASE + (g >> 48) % AGENTS if assigned else None,
            group_id=GROUP_BASE + (g >> 52) % GROUPS if assigned else None,
            organization_id=self._org(requester_id),
            created=times.created,
            updated=updated,
            gts=updated,
            replies=times.replies,
            reopens=1 if hops in _REOPENED else 0,
            group_stations=1 + sum(hops > m for m in _GROUP_MOVES) if assigned else 0,
            assignee_stations=1 + sum(hops > m for m in _ASSIGNEE_MOVES) if assigned else 0,
            first_reply=times.first_reply,
            agent_at=times.agent,
            requester_at=times.requester,
            assigned_first=min(times.created + 5 * MIN, updated) if assigned else None,
            assigned_last=min(times.created + 5 * MIN, updated) if assigned else None,
            solved=times.solved,
            status_at=times.solved or times.agent or times.created,
            latest_comment=max(t for t in (times.requester, times.agent) if t is not None),
        )

    # -- users -------------------------------------------------------------------------
    def is_staff(self, uid: int) -> bool:
        """Whether the user is the admin or one of the agents (who can be assignees)."""
        return uid == ADMIN_ID or AGENT_BASE <= uid < AGENT_BASE + self.agents

    def user_ranges(self) -> list[tuple[int, int, str]]:
        """The seeded users as (first id, id after the last, role), by id."""
        return [
            (ADMIN_ID, ADMIN_ID + 1, "admin"),
            (AGENT_BASE, AGENT_BASE + self.agents, "agent"),
            (REQUESTER_BASE, REQUESTER_BASE + self.pool, "end-user"),
            (PERSON_BASE, PERSON_BASE + len(PEOPLE), "end-user"),
        ]

    def user_fields(self, uid: int) -> tuple[str, str | None, int, str, int | None] | None:
        """(name, email, created epoch, role, organization id) of a known user, else None."""
        if uid == ADMIN_ID:
            return (
                "CARE Sandbox Admin",
                "admin@care-sandbox.example",
                self.now - 4 * 365 * DAY,
                ("admin"),
                None,
            )
        if AGENT_BASE <= uid < AGENT_BASE + self.agents:
            i = uid - AGENT_BASE
            first, last = _FIRST[(i * 7) % len(_FIRST)], _LAST[(i * 11) % len(_LAST)]
            if i < AGENTS:  # the agents who work the seeded tickets
                email = f"{first.lower()}.{last.lower()}@care-sandbox.example"
                return f"{first} {last}", email, self.now - (400 + 90 * i) * DAY, "agent", None
            email = f"{first.lower()}.{last.lower()}{i}@care-sandbox.example"  # names repeat
            return f"{first} {last}", email, self.now - (30 + 37 * i % 1500) * DAY, "agent", None
        if PERSON_BASE <= uid < PERSON_BASE + len(PEOPLE):
            key = list(PEOPLE)[uid - PERSON_BASE]
            name, has_email, days = PEOPLE[key]
            email = name.lower().replace(" ", ".") + "@example.com" if has_email else None
            return name, email, self.now - days * DAY - 3 * HOUR, "end-user", None
        if REQUESTER_BASE <= uid < REQUESTER_BASE + self.pool:
            h = mix(self.seed, uid, 3)
            first, last = _FIRST[h % len(_FIRST)], _LAST[(h >> 8) % len(_LAST)]
            email = (
                None
                if (h >> 16) % 100 < 3
                else (f"{first.lower()}.{last.lower()}{uid - REQUESTER_BASE}@example.com")
            )
            days = 30 + (h >> 24) % 2500  # about a third of them are 2+ years old
            return (
                f"{first} {last}",
                email,
                self.now - days * DAY - (h >> 48) % DAY,
                ("end-user"),
                self._org(uid),
            )
        return None

    def _org(self, uid: int) -> int | None:
        h = mix(self.seed, uid, 5)
        return ORG_BASE + (h >> 8) % ORGS if h % 5 == 0 else None
