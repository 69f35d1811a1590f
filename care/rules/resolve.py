"""Resolve: answer in time, escalate what two interactions did not solve, stop the ping-pong.

- `resolve.response_sla`: an unsolved new/open ticket waits for an agent (no
  first reply yet, or the requester wrote after the last agent reply). At
  ≥ `warning_ratio` [75 %] of the target: tag `sla_warning`; strictly past the
  target: tag `sla_breached`, a note with target, elapsed time and since when, and
  a notification (the warning notifies nobody).
  Pending and hold tickets stop the clock. Time counts in business hours when a
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

from care.actions import Action, NoteDraft
from care.business_hours import elapsed, format_duration
from care.model import Priority, Ticket
from care.policy import Policy
from care.rules.connect import greeting_name

RESPONSE_SLA = "resolve.response_sla"
TWO_INTERACTIONS = "resolve.two_interactions"
PASSED_AROUND = "resolve.passed_around"


def response_sla(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    warning_tag, breached_tag = p.tag("sla_warning"), p.tag("sla_breached")
    if breached_tag in t.tags or not t.status.awaits_agent:
        return []  # pending/hold: the clock waits for the requester or a third party
    waiting = waiting_for_agent(t)
    if waiting is None:
        return []
    since, awaiting = waiting
    settings = p.rules.response_sla
    target = settings.target(t.priority)
    spent = elapsed(since, now, p.business_hours)
    actions: list[Action] = []
    clock = " (business hours)" if p.business_hours else ""
    reason = (
        f"waiting {format_duration(spent)}{clock} for {awaiting}; target {format_duration(target)}"
    )
    if spent >= target * settings.warning_ratio and warning_tag not in t.tags:
        actions.append(_sla_action(t, "warning", reason, warning_tag))
    if spent > target:  # exactly on target is still in time
        fields = {
            "target": format_duration(target),
            "elapsed": format_duration(spent),
            "since": _when(since, p),
            "awaiting": awaiting,
            "priority": t.priority.value if t.priority else None,
            "business_hours": p.business_hours is not None,
        }
        note = NoteDraft(RESPONSE_SLA, fields)
        actions.append(_sla_action(t, "breached", reason, breached_tag, note, notify=True))
    return actions


def waiting_for_agent(t: Ticket) -> tuple[datetime, str] | None:
    """Since when, and for what, the requester has been waiting on an agent (None: not waiting)."""
    if t.first_agent_reply_at is None and t.agent_replies == 0:
        return t.created_at, "a first agent reply"
    if t.last_requester_message_at is not None and t.requester_wrote_last:
        return t.waiting_since or t.last_requester_message_at, "a reply to their latest message"
    return None


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
                f"the ticket moved between groups {_times(t.group_hops)} "
                f"and between assignees {_times(t.assignee_hops)}"
            ),
            add_tags=frozenset({tag}),
            note=NoteDraft(PASSED_AROUND, fields),
        )
    ]


def _sla_action(
    t: Ticket,
    variant: str,
    reason: str,
    tag: str,
    note: NoteDraft | None = None,
    notify: bool = False,
) -> Action:
    return Action(
        rule=RESPONSE_SLA,
        helpdesk=t.helpdesk,
        ticket_id=t.id,
        reason=reason,
        variant=variant,
        add_tags=frozenset({tag}),
        note=note,
        notify=notify,
    )


def _when(moment: datetime, p: Policy) -> str:
    """A timestamp as agents read it: in the calendar's zone when there is one."""
    zone = p.business_hours.zone if p.business_hours else None
    local = moment.astimezone(zone) if zone else moment
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or 'UTC'}"


def _times(count: int) -> str:
    return "1 time" if count == 1 else f"{count} times"
