"""Freshdesk sandbox values shared by the filler seed and the named scenarios."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]
DAY = 86_400
AGENTS = (9001, 9002, 9003, 9004)  # the agents the seeded tickets are assigned to
AGENT_NAMES = ("Ada Support", "Ben Support", "Cleo Support", "Dev Support")
# More agents (`FreshdeskSandbox(agents=...)`) take the ids after these, named from:
_MORE_FIRST = ("Amir", "Bea", "Cyrus", "Dalia", "Emil", "Fern", "Gil", "Hedda", "Ines", "Jon")
_MORE_LAST = ("Aalto", "Brandt", "Costa", "Dahl", "Engel", "Frey", "Gruen", "Holm", "Ivers", "Juhl")
GROUPS = (501, 502, 503)
GROUP_NAMES = {501: "Billing", 502: "Technical support", 503: "Accounts"}


def group_json(group_id: int, created: int) -> Json:
    """A group as `GET /api/v2/groups` lists it."""
    stamp = iso(created)
    return {
        "id": group_id,
        "name": GROUP_NAMES[group_id],
        "description": f"{GROUP_NAMES[group_id]} queue",
        "escalate_to": None,
        "unassigned_for": "30m",
        "business_hours_id": None,
        "group_type": "support_agent_group",
        "auto_ticket_assign": 0,
        "created_at": stamp,
        "updated_at": stamp,
    }


def quiet_fields() -> Json:
    """The ticket fields CARE never reads, as an untouched Freshdesk ticket has them."""
    return {
        "company_id": None,
        "email_config_id": None,
        "product_id": None,
        "fr_escalated": False,
        "is_escalated": False,
        "spam": False,
        "cc_emails": [],
        "fwd_emails": [],
        "reply_cc_emails": [],
        "to_emails": None,
    }


def iso(ts: int | float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def conversation(t: Json, conv_id: int, who: str, agent: int | None, at: int) -> Json:
    """One conversation: 'a' agent reply, 'r' requester message, 'n' private note."""
    incoming = who == "r"
    body = {"a": "Thanks, we are looking into it.", "r": "Any update?"}.get(who, "Note")
    return {
        "id": conv_id,
        "body": f"<div>{body}</div>",
        "body_text": body,
        "incoming": incoming,
        "private": who == "n",
        "source": 2 if who == "n" else 0,
        "user_id": t["requester_id"] if incoming else agent,
        "ticket_id": t["id"],
        "support_email": None if who == "n" else "support@care-sandbox.example",
        "to_emails": [],
        "from_email": None,
        "cc_emails": [],
        "bcc_emails": [],
        "attachments": [],
        "created_at": iso(at),
        "updated_at": iso(at),
    }


def agent_name(agent_id: int) -> str:
    """The seeded name of agent `agent_id` (9001 and up)."""
    index = agent_id - AGENTS[0]
    if index < len(AGENT_NAMES):
        return AGENT_NAMES[index]
    more = index - len(AGENT_NAMES)
    first, last = _MORE_FIRST[more % len(_MORE_FIRST)], _MORE_LAST[more // len(_MORE_FIRST) % 10]
    return f"{first} {last}"


def agent_json(agent_id: int, anchor: int, name: str | None = None) -> Json:
    """An agent as List All Agents, `GET /api/v2/agents/{id}` and `/agents/me` return it (no
    `me` id of its own: the agent whose API key made the request); `name`: a rename.
    https://developers.freshdesk.com/api/#agents"""
    index = agent_id - AGENTS[0]
    name = agent_name(agent_id) if name is None else name
    since = iso(anchor - (400 + 90 * index % 2000) * DAY)
    email = f"{agent_name(agent_id).split()[0].lower()}@care-sandbox.example"
    if index >= len(AGENT_NAMES):
        email = f"agent{agent_id}@care-sandbox.example"  # first names repeat past ten
    return {
        "available": True,
        "occasional": False,
        "id": agent_id,
        "ticket_scope": 1,  # global access
        "signature": None,
        "group_ids": list(GROUPS),
        "role_ids": [1],
        "skill_ids": [],
        "available_since": None,
        "contact": {
            "active": True,
            "email": email,
            "job_title": None,
            "language": "en",
            "last_login_at": iso(anchor - 3600),
            "mobile": None,
            "name": name,
            "phone": None,
            "time_zone": "UTC",
            "created_at": since,
            "updated_at": since,
        },
        "created_at": since,
        "updated_at": since,
        "type": "support_agent",
        "focus_mode": True,
    }
