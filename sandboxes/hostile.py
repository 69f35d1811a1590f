"""Hostile or broken ticket records for the sandboxes to serve (both vendors).

A test (or a demo) tampers with a ticket: the raw JSON fields given are laid over the
ticket as the API serves it (list/export, show), exactly as a hostile customer or a
broken integration would have left them: a NUL in a subject, a lone surrogate in a
name (JSON carries it as the escape `"\\ud800"`), a 1 MB description, a list where an
object belongs, a null. It lasts until the ticket next changes in the helpdesk
(`touch`): a person fixed the record, the next export is clean.

    sandbox.tamper(5, ticket={"subject": "Refund\\x00"}, requester={"name": "Ann\\u202e"})

Parts: `ticket` (its fields), `requester` (the requester's fields: Zendesk's `users`
sideload, Freshdesk's embedded `requester`), `metric_set` (Zendesk) / `stats`
(Freshdesk). A part that is not an object (None, a list) replaces that object whole.
"""

from __future__ import annotations

import threading
from typing import Any

Json = dict[str, Any]
PARTS = ("ticket", "requester", "metric_set", "stats")


class Tampering:
    """Ticket id -> the raw parts to serve instead; safe across request threads."""

    def __init__(self) -> None:
        self._parts: dict[int, Json] = {}
        self._lock = threading.Lock()

    def add(self, ticket_id: int, parts: Json) -> None:
        unknown = set(parts) - set(PARTS)
        if unknown:
            raise ValueError(f"cannot tamper with {sorted(unknown)}: one of {PARTS}")
        with self._lock:
            self._parts.setdefault(ticket_id, {}).update(parts)

    def clear(self, ticket_id: int) -> None:
        with self._lock:
            self._parts.pop(ticket_id, None)

    def parts(self, ticket_id: Any) -> Json:
        with self._lock:
            return dict(self._parts.get(ticket_id) or {}) if isinstance(ticket_id, int) else {}


def overlay(current: Any, part: Any) -> Any:
    """`part` laid over `current`: fields over fields, anything else instead of it."""
    if isinstance(part, dict) and isinstance(current, dict):
        return {**current, **part}
    return part


def serve_zendesk(tampering: Tampering, tickets: list[Json], sideloads: Json) -> None:
    """Lay the tampered parts over a Zendesk response, in place."""
    for ticket in tickets:
        parts = tampering.parts(ticket.get("id"))
        if not parts:
            continue
        ticket_id, requester_id = ticket["id"], ticket.get("requester_id")
        ticket.update(parts.get("ticket") or {})
        for key, part, field, wanted in (
            ("users", "requester", "id", requester_id),
            ("metric_sets", "metric_set", "ticket_id", ticket_id),
        ):
            if part in parts and key in sideloads:
                sideloads[key] = [
                    overlay(r, parts[part]) if isinstance(r, dict) and r.get(field) == wanted else r
                    for r in sideloads[key]
                ]


def serve_freshdesk(tampering: Tampering, ticket: Json) -> None:
    """Lay the tampered parts over one Freshdesk ticket, in place (its includes only)."""
    parts = tampering.parts(ticket.get("id"))
    ticket.update(parts.get("ticket") or {})
    for part in ("requester", "stats"):
        if part in parts and part in ticket:
            ticket[part] = overlay(ticket[part], parts[part])
