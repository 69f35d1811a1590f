"""Actions are values: what a rule decided, with a stable idempotency key.

The store records every action under `Action.key` (unique), so whatever
reruns, crashes or parallel workers do, an action is applied at most once.
The applier groups actions whose helpdesk change is identical into bulk calls.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from care.domain.model import Priority


@dataclass(frozen=True, slots=True)
class NoteDraft:
    """An internal note still to be rendered: a template name and its fields.

    Rules return drafts (pure data); `care.domain.notes` renders them with Jinja2.
    """

    template: str  # e.g. "resolve.response_sla" -> templates/resolve.response_sla.j2
    fields: Mapping[str, Any] = field(default_factory=dict)
    public: bool = False  # True only for the greeting in `reply` mode


@dataclass(frozen=True, slots=True)
class Action:
    rule: str  # e.g. "resolve.two_interactions"
    helpdesk: str
    ticket_id: str
    reason: str  # one human sentence: why the rule fired
    variant: str = ""  # distinguishes several actions of one rule (e.g. "warning", "breached")
    add_tags: frozenset[str] = frozenset()
    remove_tags: frozenset[str] = frozenset()  # only the SLA's own state tags, ever
    set_priority: Priority | None = None
    set_group: str | None = None
    note: NoteDraft | None = None
    survey_due_at: datetime | None = None  # enhance.survey: when the e-mail is due
    notify: bool = False  # tell the configured alert channel (escalations)

    @property
    def key(self) -> str:
        """Unique per helpdesk, ticket, rule and variant: the at-most-once guarantee."""
        return action_key(self.helpdesk, self.ticket_id, self.rule, self.variant)

    @property
    def ref(self) -> str:
        """The unkeyed reference notes carried before refs were keyed (`action_ref`)."""
        return action_ref(self.key)

    @property
    def changes_ticket(self) -> bool:
        return bool(self.add_tags or self.remove_tags or self.set_priority or self.set_group)


def action_ref(key: str, secret: bytes | None = None) -> str:
    """The short reference a note prints to be recognised as CARE's after a crash: an
    HMAC of the action key with the store's own `secret`, so that a customer, who can
    guess how keys are made, cannot type a ref CARE would take for a note it posted.
    Without a secret: the unkeyed form notes carried before (still read back from them)."""
    if secret is None:
        return hashlib.sha1(key.encode()).hexdigest()[:10]
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:10]


def action_key(helpdesk: str, ticket_id: str, rule: str, variant: str) -> str:
    return f"{helpdesk}:{ticket_id}:{rule}:{variant}"
