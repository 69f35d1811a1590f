"""Resolve: answer in time, escalate what two interactions did not solve, stop the ping-pong.

- `resolve.response_sla`: every wait (`care.domain.waits`: the requester waits for a first
  reply, or for a reply to what they wrote after the last one) is timed against the
  target. The tags show the current wait: at ≥ `warning_ratio` [75 %] of the target
  `sla_warning`, strictly past it `sla_breached` instead, neither once the wait is
  over (an agent replied, or the ticket went pending, on hold or solved). Each
  breached wait gets a note with target, elapsed time and since when, and a
  notification (the warning notifies nobody). Time counts in business hours when a
  calendar is configured.
- `resolve.two_interactions`: an unsolved ticket with ≥ `min_agent_replies` [2]
  public agent replies where the requester wrote again after the last one is
  escalated: tag `escalated`, priority urgent, the escalation group if
  configured, a note proposing a call, and a notification.
- `resolve.passed_around`: group hops ≥ `min_group_hops` [3] or assignee hops
  ≥ `min_assignee_hops` [3]: tag `passed_around` and a note naming the hops.
"""

from __future__ import annotations

from datetime import datetime

from care.domain.actions import Action, NoteDraft
from care.domain.business_hours import elapsed
from care.domain.model import Priority, Ticket
from care.domain.policy import Policy
from care.domain.rules.connect import greeting_name
from care.domain.waits import current_wait, moment_key
from care.domain.wording import duration, plural

RESPONSE_SLA = "resolve.response_sla"
TWO_INTERACTIONS = "resolve.two_interactions"
PASSED_AROUND = "resolve.passed_around"


def response_sla(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    """The SLA state of the current wait, as tags, and a note per breached wait.

    Decisions are keyed by the wait (`Wait.key`): each wait is warned and breached at
    most once, and a second wait gets its own. Tags are state: the ticket carries the
    warning or the breach of the wait running now, and neither once it is over.
    `t.priority` is the priority after this poll's own changes (`rules.evaluate`).
    """
    warning_tag, breached_tag = p.tag("sla_warning"), p.tag("sla_breached")
    shown = t.tags & {warning_tag, breached_tag}
    wait = current_wait(t)
    if wait is None:  # answered, pending, on hold, solved: nothing to time
        return [_sla_cleared(t, shown, f"ended:{moment_key(t.updated_at)}")] if shown else []
    settings = p.rules.response_sla
    target = settings.target(t.priority)
    spent = elapsed(wait.started_at, now, p.business_hours)
    clock = " (business hours)" if p.business_hours else ""
    reason = f"waiting {duration(spent)}{clock} for {wait.kind.awaiting}; target {duration(target)}"
    if spent > target:  # exactly on target is still in time
        fields = {
            "target": duration(target),
            "elapsed": duration(spent),
            "since": _when(wait.started_at, p),
            "awaiting": wait.kind.awaiting,
            "priority": t.priority.value if t.priority else None,
            "business_hours": p.business_hours is not None,
        }
        return [
            _sla_action(
                t,
                f"breached:{wait.key}",
                reason,
                add={breached_tag},
                remove=shown - {breached_tag},
                note=NoteDraft(RESPONSE_SLA, fields),
                notify=True,
            )
        ]
    if spent >= target * settings.warning_ratio:
        return [
            _sla_action(
                t, f"warning:{wait.key}", reason, add={warning_tag}, remove=shown - {warning_tag}
            )
        ]
    # In time: a tag left from an earlier wait (the agent's reply was not seen) goes.
    return [_sla_cleared(t, shown, f"cleared:{wait.key}")] if shown else []


def _sla_cleared(t: Ticket, shown: frozenset[str], variant: str) -> Action:
    return _sla_action(
        t, variant, "the wait the SLA tags described is over", add=set(), remove=shown
    )


def two_interactions(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    tag = p.tag("escalated")
    settings = p.rules.two_interactions
    if tag in t.tags or t.status.is_solved or t.agent_replies < settings.min_agent_replies:
        return []
    if t.last_agent_reply_at is None or not t.requester_wrote_last:
        return []  # the agent spoke last: the ball is with the requester
    group = settings.escalation_group_id
    set_group = group if group and group != t.group_id else None
    fields = {
        "agent_replies": t.agent_replies,
        "call_booking_url": settings.call_booking_url,
        "first_name": greeting_name(t.requester.name),
        "escalation_group_id": set_group,
    }
    return [
        Action(
            rule=TWO_INTERACTIONS,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=(
                f"the requester wrote again after {t.agent_replies} agent replies: "
                "not solved in two interactions"
            ),
            add_tags=frozenset({tag}),
            set_priority=None if t.priority is Priority.URGENT else Priority.URGENT,
            set_group=set_group,
            note=NoteDraft(TWO_INTERACTIONS, fields),
            notify=True,
        )
    ]


def passed_around(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    tag = p.tag("passed_around")
    settings = p.rules.passed_around
    if tag in t.tags:
        return []
    if t.group_hops < settings.min_group_hops and t.assignee_hops < settings.min_assignee_hops:
        return []
    fields = {
        "group_hops": t.group_hops,
        "assignee_hops": t.assignee_hops,
        "group_id": t.group_id,
        "assignee_id": t.assignee_id,
    }
    return [
        Action(
            rule=PASSED_AROUND,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=(
                f"the ticket moved between groups {plural(t.group_hops, 'time')} "
                f"and between assignees {plural(t.assignee_hops, 'time')}"
            ),
            add_tags=frozenset({tag}),
            note=NoteDraft(PASSED_AROUND, fields),
        )
    ]


def _sla_action(
    t: Ticket,
    variant: str,
    reason: str,
    add: set[str],
    remove: frozenset[str] | set[str],
    note: NoteDraft | None = None,
    notify: bool = False,
) -> Action:
    return Action(
        rule=RESPONSE_SLA,
        helpdesk=t.helpdesk,
        ticket_id=t.id,
        reason=reason,
        variant=variant,
        add_tags=frozenset(add),
        remove_tags=frozenset(remove),
        note=note,
        notify=notify,
    )


def _when(moment: datetime, p: Policy) -> str:
    """A timestamp as agents read it: in the calendar's zone when there is one."""
    zone = p.business_hours.zone if p.business_hours else None
    local = moment.astimezone(zone) if zone else moment
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or 'UTC'}"
