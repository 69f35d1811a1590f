"""The CARE rules (SPEC §2): pure functions of (ticket, policy, now) -> actions.

`RULES` lists them in SPEC order. `evaluate` runs the enabled ones on one
ticket. `assist.faq` also needs the FAQ index; `rules(faq)` binds it, so that
every entry can be called the same way: `rule(ticket, policy, now)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import lru_cache, partial
from types import MappingProxyType

from care.domain.actions import Action
from care.domain.faq import FaqIndex
from care.domain.model import Priority, Ticket
from care.domain.policy import Policy
from care.domain.rules import assist, connect, enhance, outreach, resolve

RuleFn = Callable[[Ticket, Policy, datetime], list[Action]]

RULES: dict[str, RuleFn] = {
    connect.GREETING: connect.greeting,
    connect.LOYAL_CUSTOMER: connect.loyal_customer,
    assist.FAQ: assist.faq,  # as listed here it suggests nothing: rules(faq) binds the index
    assist.REPEAT_CONTACT: assist.repeat_contact,
    assist.ERROR_PAGE: assist.error_page,
    outreach.PROACTIVE_OUTREACH: outreach.linked,  # its events' part: flows/outreach.py
    resolve.RESPONSE_SLA: resolve.response_sla,
    resolve.TWO_INTERACTIONS: resolve.two_interactions,
    resolve.PASSED_AROUND: resolve.passed_around,
    enhance.SURVEY: enhance.survey,
}


@lru_cache(maxsize=8)
def rules(faq: FaqIndex | None) -> Mapping[str, RuleFn]:
    """Every rule in SPEC order, with `assist.faq` searching `faq` (read-only, cached)."""
    return MappingProxyType({**RULES, assist.FAQ: partial(assist.faq, index=faq)})


def evaluate(ticket: Ticket, policy: Policy, now: datetime, faq: FaqIndex | None) -> list[Action]:
    """The actions of every enabled rule for one ticket, in rule order.

    The response SLA is judged at the priority the ticket has after this poll's own
    changes (an error-page ticket raised to high is timed as high), so it runs last.
    A ticket the helpdesk keeps read-only (a closed Zendesk ticket) takes no change:
    only actions that leave the ticket alone (the survey schedule) are kept.
    """
    decided: dict[str, list[Action]] = {}
    for name, rule in rules(faq).items():
        if policy.enabled(name) and name != resolve.RESPONSE_SLA:
            decided[name] = rule(ticket, policy, now)
    if policy.enabled(resolve.RESPONSE_SLA):
        raised = priority_after(ticket, [a for found in decided.values() for a in found])
        timed = dataclasses.replace(ticket, priority=raised)
        decided[resolve.RESPONSE_SLA] = resolve.response_sla(timed, policy, now)
    actions = [a for name in rules(faq) for a in decided.get(name, ())]
    if ticket.read_only:
        return [a for a in actions if not (a.changes_ticket or a.note)]
    return actions


def priority_after(ticket: Ticket, actions: Iterable[Action]) -> Priority | None:
    """The ticket's priority once `actions` are applied: the highest they set."""
    raised = [a.set_priority for a in actions if a.set_priority]
    candidates = [p for p in (ticket.priority, *raised) if p is not None]
    return max(candidates, key=lambda p: p.rank) if candidates else None


__all__ = ["RULES", "RuleFn", "evaluate", "rules"]
