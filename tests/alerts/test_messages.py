"""What an alert says: the webhook's JSON, the Slack text, a Prefect block's message."""

from __future__ import annotations

from care.domain.alerts import (
    PREFECT_BLOCK,
    SLACK,
    WEBHOOK,
    block_message,
    delivered_channels,
    failure_note,
    mask_url,
    scrub_urls,
    slack_payload,
    webhook_payload,
)
from tests.alerts.builders import alert


def test_the_webhook_payload_names_ticket_rule_reason_and_carries_the_idempotency_key():
    assert webhook_payload(alert()) == {
        "type": "care.alert",
        "idempotency_key": "zendesk:42:resolve.two_interactions:",
        "helpdesk": "zendesk",
        "ticket_id": "42",
        "ticket_url": "https://acme.zendesk.com/agent/tickets/42",
        "rule": "resolve.two_interactions",
        "variant": "",
        "title": "Escalated: not solved in two interactions",
        "reason": "the requester wrote again after 2 agent replies: not solved in two interactions",
        "decided_at": "2026-03-02T09:30:00Z",
        "applied_at": "2026-03-02T09:31:05Z",
    }


def test_an_sla_breach_is_titled_as_such_with_its_variant_naming_the_wait():
    variant = "breached:20260302T083000Z"
    breach = alert(rule="resolve.response_sla", variant=variant, reason="waiting 25 h")
    payload = webhook_payload(breach)
    assert (payload["title"], payload["variant"]) == ("Response SLA breached", variant)
    assert "*Response SLA breached*" in slack_payload(breach)["text"]


def test_the_slack_message_links_the_ticket_and_states_rule_and_reason():
    (text,) = slack_payload(alert()).values()
    assert text == (
        ":rotating_light: *Escalated: not solved in two interactions*: zendesk ticket "
        "<https://acme.zendesk.com/agent/tickets/42|#42>\n"
        "`resolve.two_interactions` the requester wrote again after 2 agent replies: "
        "not solved in two interactions"
    )


def test_slack_control_characters_in_a_reason_are_escaped():
    text = slack_payload(alert(reason="a <b> & c"))["text"]
    assert "a &lt;b&gt; &amp; c" in text


def test_without_a_ticket_url_the_message_still_names_the_ticket():
    assert "zendesk ticket #42\n" in slack_payload(alert(ticket_url=None))["text"]
    assert webhook_payload(alert(ticket_url=None))["ticket_url"] is None


def test_a_prefect_block_gets_a_plain_text_body_and_subject():
    body, subject = block_message(alert())
    assert subject == "CARE: Escalated: not solved in two interactions (zendesk #42)"
    assert body.splitlines() == [
        "resolve.two_interactions: the requester wrote again after 2 agent replies: "
        "not solved in two interactions",
        "https://acme.zendesk.com/agent/tickets/42",
        "idempotency key: zendesk:42:resolve.two_interactions:",
    ]


def test_a_failure_note_keeps_which_channels_already_have_the_alert():
    note = failure_note({SLACK: "HTTP 500"}, [WEBHOOK])
    assert note == "slack: HTTP 500 | already delivered to: webhook"
    assert delivered_channels(note) == {WEBHOOK}
    both = failure_note({PREFECT_BLOCK: "NotificationError"}, [SLACK, WEBHOOK])
    assert delivered_channels(both) == {WEBHOOK, SLACK}
    assert delivered_channels(failure_note({WEBHOOK: "HTTP 502"}, [])) == frozenset()
    assert delivered_channels(None) == frozenset()


def test_webhook_urls_are_masked_down_to_their_host():
    secret = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    assert mask_url(secret) == "https://hooks.slack.com/…"
    scrubbed = scrub_urls(f"Max retries exceeded with url: {secret} (timeout)")
    assert "XXXXSECRET" not in scrubbed and "https://hooks.slack.com/…" in scrubbed
