"""`assist.proactive_outreach`: reach out before the customer complains (SPEC §2, §4b).

A product error event that names a customer is either one new ticket in the helpdesk
(`Outreach`) or a `Skip` with its reason. Pure: what the store knows about the customer
comes in as `CustomerHistory`, the clock as `now`.

Exactly once: each outreach's key chains from the customer's previous one
(`outreach_key`). Two workers deciding about one customer at once read the same
previous contact, so they compute the same key, and the store's unique key lets one
of them record the intent; the other's insert changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Literal, Protocol
from urllib.parse import urlsplit

from care.domain.actions import Action, NoteDraft
from care.domain.faq import FaqIndex
from care.domain.model import Ticket
from care.domain.policy import Policy

PROACTIVE_OUTREACH = "assist.proactive_outreach"


class OutreachEvent(Protocol):
    """What the rule reads of an error event (`care.domain.error_events.ErrorEvent`)."""

    @property
    def source(self) -> str: ...
    @property
    def event_id(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def customer_email(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def error_code(self) -> str | None: ...
    @property
    def occurred_at(self) -> datetime: ...


class Skip(StrEnum):
    """Why an event led to no outreach; `care status` and the run artifact count these."""

    DISABLED = "disabled"  # the rule is switched off
    NO_EMAIL = "no_email"  # the event names no customer e-mail address
    NOT_ALLOWED = "not_allowed"  # not on the configured error kinds / URL patterns
    TOO_OLD = "too_old"  # the error happened longer ago than max_event_age_hours
    OPTED_OUT = "opted_out"  # the customer opted out of CARE e-mail
    HAS_TICKET = "has_ticket"  # the customer already has an unsolved ticket
    DUPLICATE = "duplicate"  # contacted about the same error within same_error_hours
    COOLDOWN = "cooldown"  # contacted proactively within cooldown_days


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """What the store knows about the customer an event names, when deciding."""

    unsolved_tickets: tuple[str, ...] = ()  # e.g. ("zendesk #12",)
    last_contact: datetime | None = None  # the customer's last outreach, any error
    last_contact_key: str | None = None  # its key (the next one chains from it)
    last_same_error: datetime | None = None  # the last outreach about this fingerprint
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class Outreach:
    """One new ticket for the customer, decided once under `key`."""

    key: str
    helpdesk: str
    customer_email: str
    subject: str
    mode: Literal["note", "reply"]
    tags: frozenset[str]
    message: NoteDraft  # the internal note (mode note) or the public first message (reply)
    reason: str

    def as_action(self) -> Action:
        """The outreach as an action of its rule, for the note renderer (its ref)."""
        return Action(
            rule=PROACTIVE_OUTREACH,
            helpdesk=self.helpdesk,
            ticket_id="",
            reason=self.reason,
            variant=self.key,
            add_tags=self.tags,
        )


def decide(
    event: OutreachEvent,
    history: CustomerHistory,
    policy: Policy,
    helpdesk: str,
    now: datetime,
    faq: FaqIndex | None = None,
) -> Outreach | Skip:
    settings = policy.rules.proactive_outreach
    if not policy.enabled(PROACTIVE_OUTREACH):
        return Skip.DISABLED
    email = event.customer_email
    if not email:
        return Skip.NO_EMAIL
    if not allowed(event, settings.error_kinds, settings.url_patterns):
        return Skip.NOT_ALLOWED
    if now - event.occurred_at > timedelta(hours=settings.max_event_age_hours):
        return Skip.TOO_OLD
    if history.opted_out:
        return Skip.OPTED_OUT
    if history.unsolved_tickets:
        return Skip.HAS_TICKET
    if _within(history.last_same_error, now, timedelta(hours=settings.same_error_hours)):
        return Skip.DUPLICATE
    if _within(history.last_contact, now, timedelta(days=settings.cooldown_days)):
        return Skip.COOLDOWN
    articles = _articles(event, policy, faq)
    fields = {
        "title": event.title,
        "message": event.message,
        "url": event.url,
        "error_code": event.error_code,
        "occurred_at": event.occurred_at,
        "customer_email": email,
        "source": event.source,
        "event_id": event.event_id,
        "articles": articles,
    }
    template = PROACTIVE_OUTREACH if settings.mode == "note" else f"{PROACTIVE_OUTREACH}.reply"
    return Outreach(
        key=outreach_key(email, history.last_contact_key),
        helpdesk=helpdesk,
        customer_email=email,
        subject=settings.subject.format(title=event.title)[:200],
        mode=settings.mode,
        tags=frozenset({policy.tag("proactive"), policy.tag("outreach")}),
        message=NoteDraft(template, fields, public=settings.mode == "reply"),
        reason=f"{email} met “{event.title}” ({event.source} {event.event_id})",
    )


def linked(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    """A customer who writes in soon after CARE reached out: the new ticket names the
    proactive one, for the agent to read first, and is tagged `proactive`."""
    contact = t.proactive_contact
    if contact is None or p.tag("outreach") in t.tags:
        return []
    if (contact.helpdesk, contact.ticket_id) == (t.helpdesk, t.id):
        return []
    within = timedelta(days=p.rules.proactive_outreach.link_days)
    if not contact.opened_at <= t.created_at <= contact.opened_at + within:
        return []
    return [
        Action(
            rule=PROACTIVE_OUTREACH,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=f"the requester was contacted proactively first: {contact.helpdesk} "
            f"#{contact.ticket_id}",
            variant=f"linked:{contact.helpdesk}:{contact.ticket_id}",
            add_tags=frozenset({p.tag("proactive")}),
            note=NoteDraft(
                f"{PROACTIVE_OUTREACH}.linked",
                {
                    "contact_helpdesk": contact.helpdesk,
                    "contact_ticket_id": contact.ticket_id,
                    "contact_subject": contact.subject,
                    "contacted_at": contact.opened_at,
                },
            ),
        )
    ]


def outreach_key(customer_email: str, previous_key: str | None) -> str:
    """The key of the customer's next outreach: it chains from their previous one."""
    text = f"outreach|{customer_email.lower()}|{previous_key or '-'}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def allowed(event: OutreachEvent, kinds: tuple[str, ...], url_patterns: tuple[str, ...]) -> bool:
    """On the allow-lists: a kind equal to the fingerprint or error code, and a URL that
    matches one of the patterns; an empty list allows everything."""
    if kinds and not ({event.fingerprint, event.error_code} & set(kinds)):
        return False
    if url_patterns:
        return bool(event.url) and any(fnmatchcase(event.url or "", p) for p in url_patterns)
    return True


def _within(moment: datetime | None, now: datetime, span: timedelta) -> bool:
    return moment is not None and now - moment < span


def _articles(event: OutreachEvent, policy: Policy, faq: FaqIndex | None) -> list[dict]:
    """The FAQ articles that best fit the error, by its title, message and URL path."""
    if faq is None:
        return []
    settings = policy.rules.faq
    path = urlsplit(event.url).path.replace("/", " ").replace("-", " ") if event.url else ""
    hits = faq.search(
        f"{event.title}\n{event.message}\n{path}",
        settings.max_articles,
        settings.min_score,
        settings.min_matching_words,
    )
    return [{"id": a.id, "title": a.title, "url": a.url, "score": round(s, 2)} for a, s in hits]
