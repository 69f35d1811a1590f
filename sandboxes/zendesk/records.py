"""Sandbox record types and constants shared by the scenarios and the filler generator."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

BACKFILL = 30 * 86400
MIN, HOUR, DAY = 60, 3600, 86400
ADMIN_ID = 9_000_000
AGENT_BASE, AGENTS = 9_000_001, 12
GROUP_BASE, GROUPS = 360_001, 6
GROUP_NAMES = ("Support", "Billing", "Technical support", "Accounts", "Shipping", "Escalations")
ORG_BASE, ORGS = 700_001, 40
REQUESTER_BASE = 10_000_000  # filler requesters: REQUESTER_BASE + pool index
CREATED_USER_BASE = 30_000_001  # end users created by Create Ticket's `requester` object
PERSON_BASE = 20_000_001  # scenario requesters
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("problem", "incident", "question", "task")
CUSTOM_STATUS = {s: 1_000 + i for i, s in enumerate(STATUSES)}
_M64 = (1 << 64) - 1


def mix(seed: int, n: int, salt: int = 0) -> int:
    """splitmix64 of (seed, n, salt): stable across Python versions, unlike hash()."""
    z = (seed * 0x9E3779B97F4A7C15 + n * 0xBF58476D1CE4E5B9 + salt * 0xD6E8FEB86659FD93) & _M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M64
    return z ^ (z >> 31)


_DATES: dict[int, str] = {}
_CLOCK = [f"T{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]


def iso(epoch: int | None) -> str | None:
    """ISO 8601 UTC as Zendesk writes it; hot in page rendering, hence the lookup tables."""
    if epoch is None:
        return None
    day = epoch // DAY
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = time.strftime("%Y-%m-%d", time.gmtime(day * DAY))
    return date + _CLOCK[epoch - day * DAY]


@dataclass(slots=True)
class Rec:
    """One ticket and its metric set, timestamps as Unix seconds."""

    id: int
    subject: str
    description: str
    status: str
    priority: str | None
    type: str | None
    tags: list[str]
    channel: str
    requester_id: int
    assignee_id: int | None
    group_id: int | None
    organization_id: int | None
    created: int
    updated: int
    gts: int
    replies: int = 0
    reopens: int = 0
    group_stations: int = 0
    assignee_stations: int = 0
    first_reply: int | None = None
    agent_at: int | None = None  # assignee_updated_at
    requester_at: int | None = None  # requester_updated_at
    assigned_first: int | None = None
    assigned_last: int | None = None
    solved: int | None = None
    status_at: int = 0
    latest_comment: int | None = None
    added: list[tuple[int, int, str, bool, int]] = field(default_factory=list)
    """Comments added through the API: (comment id, author id, body, public, created)."""
    external_id: str | None = None
    submitter_id: int | None = None  # None: the requester (Zendesk's default)
    api_created: bool = False  # created through POST /api/v2/tickets: no seeded conversation
    is_public: bool = True  # "true if any comments are public"


def group_json(index: int, base: str, created: int) -> dict[str, object]:
    """Group `index` (0: the default group) as `GET /api/v2/groups` lists it."""
    group_id = GROUP_BASE + index
    return {
        "id": group_id,
        "url": f"{base}/api/v2/groups/{group_id}.json",
        "name": GROUP_NAMES[index],
        "description": "",
        "default": index == 0,
        "deleted": False,
        "is_public": True,
        "created_at": iso(created),
        "updated_at": iso(created),
    }
