"""One change per ticket: the claimed actions of a ticket merged into a single update.

Every action keeps its own row in the action log (its rule, its key, its state); what
goes to the helpdesk is one `Change` per ticket carrying all of them: the tags to add,
the SLA state tags to take off, the highest priority, the group, and one internal note
made of the rules' notes (`care.domain.notes.combine`). The change's `ref` is its first action's
id; `Merged.members` maps it back to every action it carries.

The SLA's state tags follow the newest SLA decision only: an older one still pending
(a write that failed and waits for its retry) must not put back a tag a later decision
took off. Its note still goes out: a breach that happened stays worth telling.

Two things stay apart, so that they can be recognised after a crash: actions an
interrupted attempt already sent (`job_id`) travel with their own job, not with fresh
ones; and a public reply (the greeting in `reply` mode) is a message to the customer,
never merged with internal notes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from care.domain.actions import action_ref
from care.domain.model import Ticket
from care.domain.notes import combine, ref_in, urgency
from care.domain.rules.resolve import RESPONSE_SLA
from care.store import ActionRecord
from connectors.base import Change


@dataclass
class Merged:
    changes: list[Change] = field(default_factory=list)
    members: dict[int, list[int]] = field(default_factory=dict)  # change ref -> action ids


def merge(records: Sequence[ActionRecord], tickets: Mapping[str, Ticket]) -> Merged:
    """The records as one change per ticket (see the module text); `tickets`: the ones
    this run has read, whose tags and `updated_at` become the changes' base."""
    groups: dict[tuple[str, str | None, int], list[ActionRecord]] = {}
    for record in sorted(records, key=lambda r: r.id):
        alone = record.id if record.note_public else 0  # each public reply on its own
        groups.setdefault((record.ticket_id, record.job_id, alone), []).append(record)
    merged = Merged()
    for (ticket_id, job_id, alone), members in groups.items():
        ticket = tickets.get(ticket_id)
        change = _merge_one(ticket_id, job_id, bool(alone), members, ticket)
        merged.changes.append(change)
        merged.members[change.ref] = [r.id for r in members]
    return merged


def _merge_one(
    ticket_id: str,
    job_id: str | None,
    public: bool,
    members: list[ActionRecord],
    ticket: Ticket | None,
) -> Change:
    sla = [r for r in members if r.rule == RESPONSE_SLA]
    state = sla[-1] if sla else None  # the newest SLA decision sets the state tags
    add: set[str] = set()
    for r in members:
        if r.rule != RESPONSE_SLA or r is state:
            add |= r.add_tags
    remove = (state.remove_tags if state else frozenset()) - add
    priorities = [r.set_priority for r in members if r.set_priority]
    groups = [r.set_group for r in members if r.set_group]
    noted = [r for r in members if r.note]
    note = None
    note_ref = None
    if noted:
        sections = [(r.rule, r.note or "") for r in noted]
        note = sections[0][1].strip() if public else combine(sections)
        first = min(noted, key=lambda r: urgency(r.rule))  # the combined note's first section
        # The ref a note section was rendered with (keyed; unkeyed in notes recorded before).
        note_ref = ref_in(first.note) or action_ref(first.key)
    return Change(
        ref=members[0].id,
        ticket_id=ticket_id,
        add_tags=frozenset(add),
        remove_tags=frozenset(remove),
        set_priority=max(priorities, key=lambda p: p.rank) if priorities else None,
        set_group=groups[-1] if groups else None,
        note=note,
        note_public=public,
        note_ref=note_ref,
        job_id=job_id,
        base_tags=ticket.tags if ticket else None,
        stamp=ticket.updated_at if ticket else None,
    )
