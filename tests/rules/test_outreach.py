"""`assist.proactive_outreach`: one ticket per customer and error, or the reason why not."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest

from care.domain.faq import FaqIndex
from care.domain.notes import NoteRenderer
from care.domain.policy import Policy
from care.domain.rules.outreach import (
    PROACTIVE_OUTREACH,
    CustomerHistory,
    Outreach,
    Skip,
    decide,
    outreach_key,
)
from tests.rules.builders import NOW, policy

HOUR = timedelta(hours=1)
INDEX = FaqIndex.load()


@dataclass(frozen=True)
class Event:
    source: str = "sentry"
    event_id: str = "9f1c2a"
    fingerprint: str = "4512"
    customer_email: str | None = "ada@example.com"
    title: str = "Checkout failed: PaymentError"
    message: str = "Checking out fails with an error when paying by card"
    url: str | None = "https://app.acme.test/checkout/pay"
    error_code: str | None = "payment_error"
    occurred_at: datetime = NOW - 5 * 60 * timedelta(seconds=1)


def outreach(event: Event = Event(), history: CustomerHistory = CustomerHistory(), **rules):
    return decide(event, history, policy(**rules), "zendesk", NOW, INDEX)


def test_a_customer_who_met_an_error_gets_one_ticket_with_the_articles_that_fit() -> None:
    decided = outreach()
    assert isinstance(decided, Outreach)
    assert decided.helpdesk == "zendesk" and decided.customer_email == "ada@example.com"
    assert decided.tags == {"care_proactive", "care_outreach"}
    assert decided.mode == "note" and not decided.message.public
    assert decided.subject == "About the error you just met: Checkout failed: PaymentError"
    ids = [a["id"] for a in decided.message.fields["articles"]]
    assert ids and ids[0] == "checkout-error"


@pytest.mark.parametrize(
    ("event", "history", "reason"),
    [
        (Event(customer_email=None), CustomerHistory(), Skip.NO_EMAIL),
        (Event(occurred_at=NOW - 25 * HOUR), CustomerHistory(), Skip.TOO_OLD),
        (Event(), CustomerHistory(opted_out=True), Skip.OPTED_OUT),
        (Event(), CustomerHistory(unsolved_tickets=("zendesk #12",)), Skip.HAS_TICKET),
        (Event(), CustomerHistory(last_same_error=NOW - 23 * HOUR), Skip.DUPLICATE),
        (Event(), CustomerHistory(last_contact=NOW - 6 * 24 * HOUR), Skip.COOLDOWN),
    ],
)
def test_each_reason_not_to_reach_out_is_named(event, history, reason) -> None:
    assert outreach(event, history) is reason


def test_the_windows_end_where_they_say() -> None:
    # 24 h after the same error and 7 days after any contact, the customer is reachable.
    history = CustomerHistory(last_same_error=NOW - 24 * HOUR, last_contact=NOW - 24 * HOUR)
    assert outreach(history=history, proactive_outreach={"cooldown_days": 1}).__class__ is Outreach
    assert (
        outreach(history=replace(history, last_contact=NOW - 7 * 24 * HOUR)).__class__ is Outreach
    )
    assert outreach(event=Event(occurred_at=NOW - 24 * HOUR)).__class__ is Outreach


def test_the_rule_can_be_switched_off() -> None:
    assert outreach(disabled=[PROACTIVE_OUTREACH]) is Skip.DISABLED


@pytest.mark.parametrize(
    ("allow", "expected"),
    [
        ({"error_kinds": ["4512"]}, Outreach),  # the fingerprint
        ({"error_kinds": ["payment_error"]}, Outreach),  # the error code
        ({"error_kinds": ["timeout"]}, Skip),
        ({"url_patterns": ["https://app.acme.test/checkout/*"]}, Outreach),
        ({"url_patterns": ["https://app.acme.test/settings/*"]}, Skip),
    ],
)
def test_an_allow_list_limits_the_errors_reached_out_about(allow, expected) -> None:
    assert isinstance(outreach(proactive_outreach=allow), expected)


def test_two_workers_deciding_on_one_history_decide_the_same_key() -> None:
    first, again = outreach(), outreach(Event(event_id="another-event-of-the-burst"))
    assert isinstance(first, Outreach) and isinstance(again, Outreach)
    assert first.key == again.key == outreach_key("ada@example.com", None)
    # After that contact, the customer's next outreach chains from it: a new key.
    later = CustomerHistory(last_contact=NOW - 8 * 24 * HOUR, last_contact_key=first.key)
    following = outreach(history=later)
    assert isinstance(following, Outreach) and following.key not in (first.key, "")


@pytest.mark.parametrize("mode", ["note", "reply"])
def test_both_messages_render_what_happened_and_the_articles(mode: str) -> None:
    decided = outreach(proactive_outreach={"mode": mode})
    assert isinstance(decided, Outreach)
    text = NoteRenderer().render(decided.message, decided.as_action())
    assert "https://app.acme.test/checkout/pay" in text
    assert "Checking out fails with an error" in text  # the article's title
    if mode == "note":
        assert text.startswith("[CARE] Reach out first") and "ada@example.com" in text
        assert text.rstrip().endswith(f"ref {NoteRenderer().ref(decided.as_action())}")
    else:
        assert decided.message.public and text.startswith("Hello,") and "[CARE]" not in text


def test_a_subject_with_an_unknown_field_is_refused() -> None:
    with pytest.raises(ValueError, match=r"may hold \{title\}"):
        Policy.model_validate({"rules": {"proactive_outreach": {"subject": "{customer}"}}})


def test_a_ticket_outreach_opened_gets_no_greeting_draft_and_no_second_article_list() -> None:
    from care.domain.rules import evaluate
    from tests.rules.builders import DAY, unanswered

    opened = unanswered(
        DAY / 24,
        subject="About the error you just met: Checkout failed",
        description="Checking out fails with an error when paying by card",
        tags={"care_proactive", "care_outreach"},
    )
    rules = {a.rule for a in evaluate(opened, policy(), NOW, INDEX)}
    assert "connect.greeting" not in rules and "assist.faq" not in rules
    written_in = replace(opened, tags=frozenset())
    rules = {a.rule for a in evaluate(written_in, policy(), NOW, INDEX)}
    assert {"connect.greeting", "assist.faq"} <= rules  # the same ticket, written in


def test_a_ticket_the_customer_opens_soon_after_the_outreach_names_it() -> None:
    from care.domain.model import ProactiveContact
    from care.domain.rules.outreach import linked
    from tests.rules.builders import DAY, unanswered

    contact = ProactiveContact("zendesk", "301", NOW - 2 * DAY, "About the error you just met")
    written = unanswered(DAY / 24, proactive_contact=contact)
    (action,) = linked(written, policy(), NOW)
    assert action.variant == "linked:zendesk:301" and action.add_tags == {"care_proactive"}
    text = NoteRenderer().render(action.note, action)
    assert "zendesk #301" in text and text.startswith("[CARE] We reached out first")
    # Past the link window, the outreach ticket itself, or the rule off: nothing.
    late = replace(written, created_at=contact.opened_at + 3 * DAY + HOUR)
    assert linked(late, policy(), NOW) == []
    assert linked(replace(written, id="301"), policy(), NOW) == []
    assert linked(written, policy(proactive_outreach={"link_days": 1}), NOW) == []
