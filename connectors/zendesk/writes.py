"""Planning Zendesk writes: identical changes share one bulk call, notes go in batches.

- Field changes (tags, priority, group, reopen) with the same signature become
  `PUT /api/v2/tickets/update_many?ids=…` with `additional_tags` (and `status: open`
  to reopen), ≤ 100 ids each.
- Notes become batch calls `{"tickets": [{"id", "comment": {...}}]}`, ≤ 100 tickets
  each, a ticket at most once per call (a second note goes in the next call).

A change with fields and a note rides in two calls; it is applied when both succeed.
Field calls are idempotent (adding a tag twice changes nothing) and may be sent again
as they are; a notes call is not (`Call.notes`: each note sent again is posted again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.base import Change
from connectors.zendesk.endpoints import UPDATE_MANY_MAX_IDS


@dataclass
class Call:
    body: dict[str, Any]
    params: dict[str, str] | None = None
    refs_by_ticket: dict[str, list[int]] = field(default_factory=dict)
    notes: list[Change] = field(default_factory=list)  # a batch of notes: never resent blind

    @property
    def refs(self) -> list[int]:
        return [ref for refs in self.refs_by_ticket.values() for ref in refs]


def plan_calls(changes: Sequence[Change]) -> list[Call]:
    return _field_calls(changes) + _note_calls(changes)


def _id(value: str) -> int | str:
    return int(value) if value.isdigit() else value


def _field_calls(changes: Sequence[Change]) -> list[Call]:
    groups: dict[tuple, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for change in changes:
        if change.changes_fields:
            groups[change.signature][change.ticket_id].append(change.ref)
    calls = []
    for (tags, priority, group, reopen), by_ticket in groups.items():
        ticket: dict[str, Any] = {}
        if tags:
            ticket["additional_tags"] = sorted(tags)
        if priority:
            ticket["priority"] = str(priority)
        if group:
            ticket["group_id"] = _id(group)
        if reopen:
            ticket["status"] = "open"
        ids = list(by_ticket)
        for start in range(0, len(ids), UPDATE_MANY_MAX_IDS):
            chunk = ids[start : start + UPDATE_MANY_MAX_IDS]
            calls.append(
                Call(
                    body={"ticket": ticket},
                    params={"ids": ",".join(chunk)},
                    refs_by_ticket={t: by_ticket[t] for t in chunk},
                )
            )
    return calls


def note_calls(changes: Sequence[Change]) -> list[Call]:
    """Batch calls for the changes' notes (their fields are left out)."""
    return _note_calls(changes)


def _note_calls(changes: Sequence[Change]) -> list[Call]:
    rounds: list[dict[str, Change]] = []  # each round holds a ticket at most once
    for change in changes:
        if change.note is None:
            continue
        for round_ in rounds:
            if change.ticket_id not in round_:
                round_[change.ticket_id] = change
                break
        else:
            rounds.append({change.ticket_id: change})
    calls = []
    for round_ in rounds:
        items = list(round_.values())
        for start in range(0, len(items), UPDATE_MANY_MAX_IDS):
            chunk = items[start : start + UPDATE_MANY_MAX_IDS]
            calls.append(
                Call(
                    body={"tickets": [_note_item(c) for c in chunk]},
                    refs_by_ticket={c.ticket_id: [c.ref] for c in chunk},
                    notes=chunk,
                )
            )
    return calls


def _note_item(change: Change) -> dict[str, Any]:
    return {
        "id": _id(change.ticket_id),
        "comment": {"body": change.note, "public": change.note_public},
    }
