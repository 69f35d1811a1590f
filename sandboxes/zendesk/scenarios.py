"""The neutral CARE scenarios (sandboxes/scenarios.py) as Zendesk ticket records.

How the metric set expresses them is described in seed.py; the history of moves
is not baked in here but replayed between polls (`ZendeskSandbox.move`).
"""

from __future__ import annotations

from typing import Any

from sandboxes.scenarios import MIN, PEOPLE
from sandboxes.zendesk.records import (
    AGENT_BASE,
    AGENTS,
    GROUP_BASE,
    GROUPS,
    PERSON_BASE,
    Rec,
)

PEOPLE_ID = {key: PERSON_BASE + i for i, key in enumerate(PEOPLE)}


def scenario_rec(tid: int, spec: tuple[Any, ...], now: int) -> Rec:
    _name, _rules, _note, person, subject, description, status, f = spec
    created = now - f["created"]
    replies = f.get("replies", 0)
    agent = now - f["agent"] if replies else None
    requester = now - f.get("requester", f["created"])
    solved = now - f["solved"] if "solved" in f else None
    assigned = replies > 0 or f.get("assigned", False) or status not in ("new",)
    assignee = AGENT_BASE + tid % AGENTS if assigned else None
    first_reply = (agent if replies == 1 else created + 45 * MIN) if replies else None
    touched = [created, requester] + [t for t in (agent, solved) if t is not None]
    updated = now - f["updated"] if "updated" in f else max(touched)
    return Rec(
        id=tid,
        subject=subject,
        description=description,
        status=status,
        priority=f.get("priority", "normal"),
        type="question",
        tags=list(f.get("tags", [])),
        channel=f.get("channel", "web"),
        requester_id=PEOPLE_ID[person],
        assignee_id=assignee,
        group_id=GROUP_BASE + tid % GROUPS if assigned else None,
        organization_id=None,
        created=created,
        updated=updated,
        gts=updated,
        replies=replies,
        reopens=f.get("reopens", 0),
        group_stations=1 if assigned else 0,
        assignee_stations=1 if assigned else 0,
        first_reply=first_reply,
        agent_at=agent,
        requester_at=requester,
        assigned_first=min(created + 5 * MIN, updated) if assigned else None,
        assigned_last=min(created + 5 * MIN, updated) if assigned else None,
        solved=solved,
        status_at=solved if solved is not None else (agent or created),
        latest_comment=max(t for t in (requester, agent) if t is not None),
    )
