"""Connect: greet the customer personally, and notice who has been with us long.

- `connect.greeting`: a new/open ticket that no agent has answered yet gets an
  internal note with a personalised greeting draft (first name, tenure from one
  month, an apology for the wait when the response target has already passed) and the
  tag `greeted`; in `reply` mode the draft is posted publicly.
- `connect.loyal_customer`: a requester whose account is at least
  `min_tenure_days` old [2 years] gets the tag `loyal_customer`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from care.domain.actions import Action, NoteDraft
from care.domain.business_hours import elapsed
from care.domain.model import Ticket
from care.domain.policy import Policy
from care.domain.wording import plural

GREETING = "connect.greeting"
LOYAL_CUSTOMER = "connect.loyal_customer"


def greeting(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    tag = p.tag("greeted")
    if tag in t.tags or not t.status.awaits_agent or p.tag("outreach") in t.tags:
        return []  # greeted, not waiting, or opened by CARE's outreach: its message is ours
    if t.agent_replies or t.first_agent_reply_at is not None:
        return []
    settings = p.rules.greeting
    first_name = greeting_name(t.requester.name)
    tenure = tenure_phrase(t.requester.created_at, now, settings.mention_tenure_after_days)
    whom = first_name or "the requester"
    with_tenure = f", a customer for {tenure}" if tenure else ""
    # Already past the response target: the draft opens with an apology for the wait.
    late = elapsed(t.created_at, now, p.business_hours) > p.rules.response_sla.target(t.priority)
    return [
        Action(
            rule=GREETING,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=f"no agent has replied yet: greeting drafted for {whom}{with_tenure}",
            add_tags=frozenset({tag}),
            note=NoteDraft(
                GREETING,
                {"first_name": first_name, "tenure": tenure, "subject": t.subject, "late": late},
                public=settings.mode == "reply",
            ),
        )
    ]


def loyal_customer(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    tag = p.tag("loyal_customer")
    since = t.requester.created_at
    threshold = p.rules.loyal_customer.min_tenure_days
    if tag in t.tags or since is None or now - since < timedelta(days=threshold):
        return []
    days = (now - since).days
    return [
        Action(
            rule=LOYAL_CUSTOMER,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=(
                f"the requester has been a customer since {since:%Y-%m-%d} "
                f"({days} days; loyal from {threshold} days)"
            ),
            add_tags=frozenset({tag}),
        )
    ]


def greeting_name(name: str) -> str:
    """The first name to greet with, or "" when there is none worth using."""
    first = name.strip().split()[0] if name.strip() else ""
    if "@" in first or not any(ch.isalpha() for ch in first):
        return ""  # helpdesks fill the name with the e-mail address when it is unknown
    return first[0].upper() + first[1:] if first.islower() else first


def tenure_phrase(created_at: datetime | None, now: datetime, min_days: int = 30) -> str | None:
    """How long someone has been a customer in whole calendar units: "3 months", "2 years".

    None when unknown, younger than `min_days` (the policy's
    `mention_tenure_after_days`, 30 by default), or younger than one calendar month.
    """
    if created_at is None or now - created_at < timedelta(days=min_days):
        return None
    months = _whole_months(created_at, now)
    if months < 1:
        return None
    if months < 12:
        return plural(months, "month")
    years = months // 12
    return plural(years, "year")


def _whole_months(start: datetime, end: datetime) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    # Not a full month yet if the day-of-month (and time) has not come round again.
    if (end.day, end.time()) < (start.day, start.time()):
        months -= 1
    return months
