"""Assist: point agents at answers that exist, and at customers who keep coming back.

- `assist.faq`: an unsolved ticket whose subject and description match FAQ
  articles with a BM25 score ≥ `min_score` gets a note listing the best with
  links, and the tag `faq_suggested`: the best alone, unless others score at
  least `CLOSE_TO_BEST` of it (then up to `max_articles` [3]).
- `assist.repeat_contact`: the requester opened ≥ `min_tickets` [3] tickets
  (this one included) within `window_days` [7] before it: tag `repeat_contact`.
- `assist.error_page`: a ticket from the product's error page (its tag or
  channel) is raised to at least `min_priority` [high] and tagged `proactive`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from care.domain.actions import Action, NoteDraft
from care.domain.faq import FaqIndex
from care.domain.model import Ticket
from care.domain.policy import Policy
from care.domain.wording import plural

FAQ = "assist.faq"
REPEAT_CONTACT = "assist.repeat_contact"
ERROR_PAGE = "assist.error_page"

CLOSE_TO_BEST = 0.8
"""An article after the best is listed only when it scores at least this share of the
best: a far weaker runner-up shares a word or two with the ticket, not its subject, and
an agent who must rule out two wrong links trusts the right one less."""


def faq(t: Ticket, p: Policy, now: datetime, index: FaqIndex | None = None) -> list[Action]:
    """Suggest FAQ articles; without an index (no catalogue) there is nothing to suggest."""
    tag = p.tag("faq_suggested")
    # A ticket CARE's outreach opened lists the articles for its error already.
    if index is None or tag in t.tags or t.status.is_solved or p.tag("outreach") in t.tags:
        return []
    settings = p.rules.faq
    hits = index.search(
        f"{t.subject}\n{t.description}",
        settings.max_articles,
        settings.min_score,
        settings.min_matching_words,
    )
    if not hits:
        return []
    best, best_score = hits[0]
    hits = [(a, score) for a, score in hits if score >= CLOSE_TO_BEST * best_score]
    articles = [
        {"id": a.id, "title": a.title, "url": a.url, "score": round(score, 2)} for a, score in hits
    ]
    count = plural(len(hits), "FAQ article")
    return [
        Action(
            rule=FAQ,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=f"the ticket matches {count}, best “{best.title}” (score {best_score:.1f})",
            add_tags=frozenset({tag}),
            note=NoteDraft(FAQ, {"articles": articles}),
        )
    ]


def repeat_contact(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    tag = p.tag("repeat_contact")
    if tag in t.tags:
        return []
    settings = p.rules.repeat_contact
    window = timedelta(days=settings.window_days)
    earliest = t.created_at - window
    # Tickets opened after this one do not make this one a repeat contact.
    count = 1 + sum(1 for opened in t.requester_ticket_times if earliest <= opened <= t.created_at)
    if count < settings.min_tickets:
        return []
    return [
        Action(
            rule=REPEAT_CONTACT,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=(
                f"the requester opened {count} tickets within {settings.window_days:g} days "
                f"(threshold {settings.min_tickets})"
            ),
            add_tags=frozenset({tag}),
        )
    ]


def error_page(t: Ticket, p: Policy, now: datetime) -> list[Action]:
    tag = p.tag("proactive")
    settings = p.rules.error_page
    if tag in t.tags:
        return []
    if settings.tag in t.tags:
        source = f"tag {settings.tag!r}"
    elif t.channel in settings.channels:
        source = f"channel {t.channel!r}"
    else:
        return []
    raise_to = settings.min_priority
    too_low = t.priority is None or t.priority.rank < raise_to.rank
    # A solved ticket keeps its priority: raising it would only notify people for nothing.
    set_priority = raise_to if too_low and not t.status.is_solved else None
    raised = f"; priority raised to {raise_to.value}" if set_priority else ""
    return [
        Action(
            rule=ERROR_PAGE,
            helpdesk=t.helpdesk,
            ticket_id=t.id,
            reason=f"the ticket came from the product's error page ({source}){raised}",
            add_tags=frozenset({tag}),
            set_priority=set_priority,
        )
    ]
