"""The neutral CARE scenarios (sandboxes/scenarios.py) as Freshdesk tickets.

Each becomes a ticket with `stats`, its conversations and a contact: agent replies
and the requester's later message are conversations (so `stats` and a reply count
agree), status `new` is an unassigned open ticket (Freshdesk has no "new"), `hold`
is the stock custom status 7 "Waiting on Third Party", and `voice` the phone source.
"""

from __future__ import annotations

from typing import Any

from sandboxes.freshdesk.records import (
    AGENTS,
    GROUPS,
    Json,
    conversation,
    iso,
    quiet_fields,
)
from sandboxes.scenarios import MIN, PEOPLE, SPECS

PERSON_BASE = 200_000_001  # scenario contacts: PERSON_BASE + position in PEOPLE
PEOPLE_ID = {key: PERSON_BASE + i for i, key in enumerate(PEOPLE)}
STATUS = {"new": 2, "open": 2, "pending": 3, "hold": 7, "solved": 4, "closed": 5}
PRIORITY = {"low": 1, "normal": 2, "high": 3, "urgent": 4}
SOURCE = {"web": 2, "api": 2, "voice": 3}
COUNT = len(SPECS)


def scenario_ticket(ticket_id: int, now: int) -> tuple[Json, list[Json]]:
    _name, _rules, _note, person, subject, description, status, f = SPECS[ticket_id - 1]
    created = now - f["created"]
    replies = f.get("replies", 0)
    assigned = replies > 0 or f.get("assigned", False) or status != "new"
    responder = AGENTS[ticket_id % len(AGENTS)] if assigned else None
    events = _events(f, created, now)
    solved = now - f["solved"] if "solved" in f else None
    touched = [created, *(at for at, _ in events), *([solved] if solved else [])]
    updated = now - f["updated"] if "updated" in f else max(touched)
    ticket: Json = {
        "id": ticket_id,
        "subject": subject,
        "description": f"<div>{description}</div>",
        "description_text": description,
        "status": STATUS[status],
        "priority": PRIORITY[f.get("priority", "normal")],
        "source": SOURCE[f.get("channel", "web")],
        "type": "Question",
        "tags": list(f.get("tags", [])),
        "requester_id": PEOPLE_ID[person],
        "responder_id": responder,
        "group_id": GROUPS[ticket_id % len(GROUPS)] if assigned else None,
        **quiet_fields(),
        "custom_fields": {"cf_order_number": None},
        "created_at": iso(created),
        "updated_at": iso(updated),
        "due_by": iso(created + 3 * 86_400),
        "fr_due_by": iso(created + 86_400),
    }
    convs = [
        conversation(ticket, 10 * ticket_id + k, who, responder, at)
        for k, (at, who) in enumerate(events, start=1)
    ]
    ticket["stats"] = _stats(ticket, convs, solved, updated)
    return ticket, convs


def _events(f: dict[str, Any], created: int, now: int) -> list[tuple[int, str]]:
    """(time, "a" agent reply | "r" requester message), oldest first."""
    replies = f.get("replies", 0)
    events: list[tuple[int, str]] = []
    if replies:
        last = now - f["agent"]
        first = last if replies == 1 else created + 45 * MIN
        step = (last - first) // max(replies - 1, 1)
        events += [(first + k * step, "a") for k in range(replies - 1)] + [(last, "a")]
    if "requester" in f:
        events.append((now - f["requester"], "r"))
    return sorted(events)


def _stats(t: Json, convs: list[Json], solved: int | None, updated: int) -> Json:
    agent = [c["created_at"] for c in convs if not c["incoming"]]
    requester = [c["created_at"] for c in convs if c["incoming"]]
    status = t["status"]
    status_at = solved or (agent[-1] if agent else t["created_at"])
    status_iso = status_at if isinstance(status_at, str) else iso(status_at)
    return {
        "agent_responded_at": agent[-1] if agent else None,
        "requester_responded_at": requester[-1] if requester else None,
        "first_responded_at": agent[0] if agent else None,
        "status_updated_at": status_iso,
        "reopened_at": None,
        "resolved_at": iso(solved) if solved and status in (4, 5) else None,
        "closed_at": iso(updated) if status == 5 else None,
        "pending_since": status_iso if status == 3 else None,
    }


def scenario_contact(contact_id: int, now: int) -> Json | None:
    index = contact_id - PERSON_BASE
    if not 0 <= index < len(PEOPLE):
        return None
    name, has_email, age_days = PEOPLE[list(PEOPLE)[index]]
    created = iso(now - age_days * 86_400)
    first, last = name.lower().split()
    return {
        "id": contact_id,
        "name": name,
        "email": f"{first}.{last}@example.com" if has_email else None,
        "phone": None if has_email else f"+1555000{index:04d}",
        "mobile": None,
        "active": True,
        "company_id": None,
        "language": "en",
        "time_zone": "UTC",
        "created_at": created,
        "updated_at": created,
    }
