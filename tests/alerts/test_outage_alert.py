"""An alert about CARE itself (the mail server cannot be used), as each channel shows it:
no ticket, the headline, and the reason that names what to check."""

from __future__ import annotations

from datetime import UTC, datetime

from care.domain.alerts import block_message, outage_alert, slack_payload, webhook_payload

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
REASON = "SMTP smtp.acme.test:587 refused the login: 535 5.7.8: check CARE_SMTP_PASSWORD"


def alert():
    return outage_alert("dispatch-surveys", "Survey e-mails held", REASON, NOW)


def test_the_webhook_gets_the_outage_without_a_ticket():
    body = webhook_payload(alert())
    assert body["rule"] == "care.outage" and body["title"] == "Survey e-mails held"
    assert body["reason"] == REASON and body["ticket_id"] is None and body["helpdesk"] is None
    assert body["idempotency_key"].startswith("care.outage:dispatch-surveys:")


def test_the_same_reason_has_the_same_idempotency_key_and_another_reason_another():
    later = outage_alert("dispatch-surveys", "Survey e-mails held", REASON, NOW.replace(hour=9))
    other = outage_alert("dispatch-surveys", "Survey e-mails held", REASON + "!", NOW)
    assert alert().key == later.key != other.key


def test_slack_and_prefect_blocks_name_no_ticket():
    text = slack_payload(alert())["text"]
    assert text == f":warning: *Survey e-mails held*\n{REASON}"
    body, subject = block_message(alert())
    assert subject == "CARE: Survey e-mails held" and REASON in body and "#" not in subject
