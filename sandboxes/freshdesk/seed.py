"""Deterministic Freshdesk data: ticket i, its conversations and its requester, on demand.

The named scenarios (sandboxes/scenarios.py) take ids 1..`scenarios`; filler follows.
Only two integer arrays (created/updated seconds) are built up front for the filler; its ids
are numbered in `updated_at` order, so untouched filler is already sorted by (updated_at, id)
and a list page is found by bisection instead of by sorting 100,000 dicts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sandboxes.freshdesk import scenarios as named
from sandboxes.freshdesk.records import (
    AGENTS,
    DAY,
    GROUPS,
    Json,
    conversation,
    iso,
    quiet_fields,
)

WINDOW = 29 * DAY + 12 * 3600  # all seeded timestamps fall inside the last 30 days
MIN_AGE = 120  # ... and at least two minutes in the past
TRIO_EVERY = 40  # tickets 40k, 40k+1, 40k+2 share one requester (three tickets within days)
SOURCES = (1, 1, 1, 2, 2, 3, 7, 7, 9)
STATUSES = (2, 2, 2, 3, 3, 4, 4, 4, 5, 5)
PRIORITIES = (1, 1, 2, 2, 2, 3, 4)
TYPES = ("Question", "Incident", "Problem", "Feature Request", None)
TAGS = ("billing", "login", "refund", "shipping", "error_page", "vip", "mobile", "api")
SUBJECTS = (
    "Cannot log in to my account",
    "Refund for order",
    "Error page when checking out",
    "Question about my invoice",
    "App crashes on startup",
    "Shipping is late",
    "How do I export my data?",
)
FIRST = ("Ana", "Bo", "Chen", "Dara", "Eli", "Farah", "Goran", "Hana", "Ivo", "Jules")
LAST = ("Silva", "Novak", "Okafor", "Berg", "Ito", "Moreau", "Kowalski", "Haddad")
CONTACT_BASE = 100_000_000


@dataclass(frozen=True)
class Seed:
    """`count` filler tickets after `scenarios` named ones, relative to the Unix time `anchor`."""

    count: int
    seed: int
    anchor: int
    scenarios: int = 0

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        gaps: list[int] = []
        run = 0
        for _ in range(self.count):
            if run > 0:  # inside a run of tickets updated in the same second
                gaps.append(0)
                run -= 1
            elif rng.random() < 0.08:
                gaps.append(rng.randint(1, 40))
                run = rng.randint(4, 19)
            else:
                gaps.append(rng.randint(1, 40))
        total = max(sum(gaps), 1)
        start, span = self.anchor - MIN_AGE - WINDOW, WINDOW
        updated: list[int] = []
        created: list[int] = []
        acc = 0
        for i, gap in enumerate(gaps, start=self.first_id):
            acc += gap
            up = start + acc * span // total
            age = self._rng(i).choice((600, 3600, 6 * 3600, DAY, 3 * DAY, 9 * DAY))
            if i % TRIO_EVERY < 3:
                age = 1800
            updated.append(up)
            created.append(max(start, up - age))
        object.__setattr__(self, "updated", updated)
        object.__setattr__(self, "created", created)

    updated: list[int] = field(init=False, repr=False, compare=False)
    created: list[int] = field(init=False, repr=False, compare=False)

    def _rng(self, key: int) -> random.Random:
        return random.Random(self.seed * 1_000_003 + key)

    @property
    def first_id(self) -> int:
        """The first filler ticket id."""
        return self.scenarios + 1

    def contains(self, ticket_id: int) -> bool:
        """Whether `ticket_id` is a filler ticket (the scenarios are seeded as changed)."""
        return self.first_id <= ticket_id < self.first_id + self.count

    def updated_at(self, ticket_id: int) -> int:
        return self.updated[ticket_id - self.first_id]

    def created_at(self, ticket_id: int) -> int:
        return self.created[ticket_id - self.first_id]

    def scenario_tickets(self) -> list[tuple[Json, list[Json]]]:
        return [named.scenario_ticket(i, self.anchor) for i in range(1, self.scenarios + 1)]

    # -- contacts -------------------------------------------------------------------------
    def requester_id(self, ticket_id: int) -> int:
        if ticket_id % TRIO_EVERY < 3:
            return CONTACT_BASE + ticket_id // TRIO_EVERY
        pool = max(self.count // 2, 10)
        return CONTACT_BASE + self.count // TRIO_EVERY + 1 + self._rng(ticket_id).randrange(pool)

    def contact(self, contact_id: int) -> Json | None:
        if self.scenarios and (person := named.scenario_contact(contact_id, self.anchor)):
            return person
        index = contact_id - CONTACT_BASE
        if not 0 <= index <= self.count // TRIO_EVERY + 1 + max(self.count // 2, 10):
            return None
        rng = self._rng(-contact_id)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        age_days = int(2 ** rng.uniform(0, 10.83))  # log-uniform, 1 day .. ~5 years
        created = self.anchor - age_days * DAY - rng.randrange(DAY)
        return {
            "id": contact_id,
            "name": f"{first} {last}",
            "email": f"{first}.{last}.{index}@example.com".lower(),
            "phone": None,
            "mobile": f"+1555{index % 10_000_000:07d}" if rng.random() < 0.3 else None,
            "active": True,
            "company_id": None,
            "language": "en",
            "time_zone": "UTC",
            "created_at": iso(created),
            "updated_at": iso(created),
        }

    def requester(self, contact_id: int) -> Json:
        c = self.contact(contact_id) or {}
        return {k: c.get(k) for k in ("id", "name", "email", "mobile", "phone")}

    # -- tickets --------------------------------------------------------------------------
    def ticket(self, ticket_id: int) -> tuple[Json, list[Json]]:
        """Ticket `ticket_id` (without includes) and its conversations, oldest first."""
        rng = self._rng(ticket_id)
        created, updated = self.created_at(ticket_id), self.updated_at(ticket_id)
        status = rng.choice(STATUSES)
        subject = rng.choice(SUBJECTS)
        tags = sorted(rng.sample(TAGS, rng.randint(0, 2)))
        if "Error page" in subject and "error_page" not in tags:
            tags.append("error_page")
        requester_id = self.requester_id(ticket_id)
        responder = rng.choice(AGENTS) if status != 2 or rng.random() < 0.5 else None
        text = f"Hello, {subject.lower()}. Ticket reference {ticket_id}."
        ticket: Json = {
            "id": ticket_id,
            "subject": subject,
            "description": f"<div>{text}</div>",
            "description_text": text,
            "status": status,
            "priority": rng.choice(PRIORITIES),
            "source": rng.choice(SOURCES),
            "type": rng.choice(TYPES),
            "tags": tags,
            "requester_id": requester_id,
            "responder_id": responder,
            "group_id": rng.choice(GROUPS) if responder else None,
            **quiet_fields(),
            "custom_fields": {
                "cf_order_number": f"ORD-{ticket_id:06d}" if rng.random() < 0.4 else None
            },
            "created_at": iso(created),
            "updated_at": iso(updated),
            "due_by": iso(created + 3 * DAY),
            "fr_due_by": iso(created + DAY),
        }
        convs = self._conversations(ticket, responder, created, updated, rng)
        ticket["stats"] = stats(ticket, convs, updated)
        return ticket, convs

    def _conversations(
        self, t: Json, agent: int | None, created: int, updated: int, rng: random.Random
    ) -> list[Json]:
        if agent is None:
            pattern = "r" * rng.randint(0, 1)
        else:
            pattern = rng.choice(("", "a", "ar", "ara", "aar", "arar", "aa"))
        if not pattern:
            return []
        step = max((updated - created) // (len(pattern) + 1), 1)
        convs = []
        for k, who in enumerate(pattern, start=1):
            at = min(created + k * step, updated)
            convs.append(conversation(t, 10 * t["id"] + k, who, agent, at))
        return convs


def stats(t: Json, convs: list[Json], status_at: int) -> Json:
    agent = [c["created_at"] for c in convs if c["source"] == 0 and not c["incoming"]]
    requester = [c["created_at"] for c in convs if c["incoming"]]
    st = t["status"]
    return {
        "agent_responded_at": agent[-1] if agent else None,
        "requester_responded_at": requester[-1] if requester else None,
        "first_responded_at": agent[0] if agent else None,
        "status_updated_at": iso(status_at),
        "reopened_at": None,
        "resolved_at": iso(status_at) if st in (4, 5) else None,
        "closed_at": iso(status_at) if st == 5 else None,
        "pending_since": iso(status_at) if st == 3 else None,
    }
