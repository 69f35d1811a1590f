"""Planning Zendesk writes: one batch item per ticket, 100 tickets a call.

Everything one poll decided for a ticket is one item of a batch call
`PUT /api/v2/tickets/update_many` with `{"tickets": [{"id", …}, …]}` (≤ 100 items):
the whole new `tags` list, `priority`, `group_id`, `status` to reopen, and the one
internal note as `comment`. One ticket update, one audit event, one note.

Why the whole tag list: `additional_tags`/`remove_tags` are documented for the bulk form
(`update_many?ids=`, the same change for every ticket) and, in an older version of the
tags guide, said not to work in batch items ("Adding tags to tickets without overwriting
existing tags",
https://developer.zendesk.com/documentation/ticketing/managing-tickets/adding-tags-to-tickets-without-overwriting-existing-tags/).
So an item carries the ticket's tags as last read plus ours, and `safe_update: true`
with `updated_stamp` (the ticket's `updated_at` as read): if an agent changed the ticket
since, Zendesk refuses that item with a 409 `UpdateConflict` instead of overwriting
their edit ("Protecting against ticket update collisions", Tickets API,
https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#protecting-against-ticket-update-collisions),
and the connector reads the ticket again and rebuilds the item.

A call with notes is not idempotent (`Call.notes`: a note sent again is posted again);
one without is (tags as a whole list under `safe_update`, a priority, a group).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import Change
from connectors.zendesk.endpoints import UPDATE_MANY_MAX_IDS


@dataclass
class Call:
    body: dict[str, Any]
    params: dict[str, str] | None = None
    refs_by_ticket: dict[str, list[int]] = field(default_factory=dict)
    notes: list[Change] = field(default_factory=list)  # items with a note: never resent blind
    changes: list[Change] = field(default_factory=list)  # every item's change

    @property
    def refs(self) -> list[int]:
        return [ref for refs in self.refs_by_ticket.values() for ref in refs]


def plan_calls(changes: Sequence[Change]) -> list[Call]:
    """Batch calls of ≤ 100 items, a ticket at most once per call (a second change of
    the same ticket, kept apart on purpose, goes in the next call). Each change must
    know its base if it changes tags (`Change.base_tags`)."""
    rounds: list[dict[str, Change]] = []
    for change in changes:
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
                    body={"tickets": [batch_item(c) for c in chunk]},
                    refs_by_ticket={c.ticket_id: [c.ref] for c in chunk},
                    notes=[c for c in chunk if c.note is not None],
                    changes=chunk,
                )
            )
    return calls


def batch_item(change: Change) -> dict[str, Any]:
    item: dict[str, Any] = {"id": _id(change.ticket_id)}
    if change.base_tags is not None and change.makes_a_difference(change.base_tags):
        item["tags"] = change.tags_after(sorted(change.base_tags))
        if change.stamp is not None:
            item["safe_update"] = True
            item["updated_stamp"] = stamp(change.stamp)
    if change.set_priority:
        item["priority"] = str(change.set_priority)
    if change.set_group:
        item["group_id"] = _id(change.set_group)
    if change.reopen:
        item["status"] = "open"
    if change.note is not None:
        item["comment"] = {"body": change.note, "public": change.note_public}
    return item


def needs_base(change: Change) -> bool:
    """A tag change whose ticket was not read in this run: read it before writing."""
    return bool(change.add_tags or change.remove_tags) and change.base_tags is None


def has_effect(change: Change) -> bool:
    """Whether writing the change would alter the ticket (its tags as read)."""
    tags = change.base_tags is None or change.makes_a_difference(change.base_tags)
    return bool(
        (tags and (change.add_tags or change.remove_tags))
        or change.set_priority
        or change.set_group
        or change.reopen
        or change.note is not None
    )


def stamp(moment: datetime) -> str:
    """`updated_stamp` as Zendesk writes `updated_at`: ISO 8601 UTC to the second."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def _id(value: str) -> int | str:
    return int(value) if value.isdigit() else value
