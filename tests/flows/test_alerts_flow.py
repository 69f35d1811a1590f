"""Alerts end to end: poll-helpdesk on the Zendesk sandbox, webhooks on loopback; escalations,
SLA breaches and a customer answering "No, not yet" through the survey endpoint."""

from __future__ import annotations

import logging
import os
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests

from care.domain.rules.enhance import SURVEY_ANSWER
from care.settings.load import load_settings
from care.store import ActionRecord, ActionState, Store
from care.web.server import create_app
from care.web.serving import SurveyServer
from flows.poll import poll_helpdesk
from sandboxes.zendesk import SCENARIOS, ZendeskSandbox
from tests.flows.environment import configure, settled_past
from tests.flows.webhooks import (
    BLOCK_PATH,
    GENERIC_PATH,
    SLACK_PATH,
    Receiver,
    webhook_receiver,
)
from tests.surveys.sent import link_to, send_survey

pytestmark = pytest.mark.usefixtures("prefect_server")

TWO = "resolve.two_interactions"
SLA = "resolve.response_sla"


def key(name: str, rule: str, variant: str = "") -> str:
    return f"zendesk:{SCENARIOS[name].ticket_id}:{rule}:{variant}"


def wait_key(name: str, kind: str, keys) -> str:
    """The key of the SLA decision of `kind` on the scenario's ticket: keyed by its wait."""
    (found,) = [k for k in keys if k.startswith(key(name, SLA, f"{kind}:"))]
    return found


@pytest.fixture
def sandbox():
    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sb:
        yield sb


@pytest.fixture
def receiver():
    with webhook_receiver() as r:
        yield r


def point_alerts_at(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> None:
    monkeypatch.setenv("CARE_ALERT_WEBHOOK_URL", receiver.url + GENERIC_PATH)
    monkeypatch.setenv("CARE_SLACK_WEBHOOK_URL", receiver.url + SLACK_PATH)
    monkeypatch.delenv("CARE_ALERT_PREFECT_BLOCK", raising=False)


def escalations(database_url: str) -> dict[str, ActionRecord]:
    """The applied actions that call for an alert, by key."""
    with Store.open(database_url) as store:
        rows = store.recent_actions(limit=10_000)
    return {
        r.key: r
        for r in rows
        if r.notify and r.state == ActionState.APPLIED and r.rule in (TWO, SLA)
    }


def generic_keys(receiver: Receiver) -> Counter[str]:
    return Counter(r.body["idempotency_key"] for r in receiver.on(GENERIC_PATH))


def test_each_escalation_and_breach_is_alerted_once_on_both_channels(
    sandbox, database_url, tmp_path, monkeypatch, receiver, caplog
):
    configure(monkeypatch, tmp_path, sandbox, database_url)
    point_alerts_at(monkeypatch, receiver)
    caplog.set_level(logging.INFO)

    first = poll_helpdesk(helpdesk="zendesk")

    expected = escalations(database_url)
    escalated = key("two_interactions", TWO)
    breached = wait_key("sla_breached_24h01", "breached", expected)
    assert {escalated, breached} <= set(expected)
    assert generic_keys(receiver) == Counter(set(expected))  # each once
    assert len(receiver.on(SLACK_PATH)) == len(expected) == first.alerts.sent
    assert all(r.notified_at is not None for r in expected.values())

    ticket = SCENARIOS["two_interactions"].ticket_id
    url = f"{sandbox.url}/agent/tickets/{ticket}"
    (generic,) = [r for r in receiver.on(GENERIC_PATH) if r.body["idempotency_key"] == escalated]
    assert generic.headers["Idempotency-Key"] == escalated
    assert generic.body["ticket_url"] == url and generic.body["rule"] == TWO
    assert "after 2 agent replies" in generic.body["reason"]
    slack_texts = [r.body["text"] for r in receiver.on(SLACK_PATH)]
    assert sum(f"<{url}|#{ticket}>" in text for text in slack_texts) == 1
    assert "## Alerts" in first.markdown()

    sandbox.advance(61)  # our own updates come round in the export again
    second = poll_helpdesk(helpdesk="zendesk")

    assert second.alerts.sent == 0 and len(receiver.requests) == 2 * len(expected)
    assert "t0k3n" not in caplog.text


def test_sla_warnings_alert_nobody(sandbox, database_url, tmp_path, monkeypatch, receiver):
    configure(monkeypatch, tmp_path, sandbox, database_url)
    point_alerts_at(monkeypatch, receiver)

    poll_helpdesk(helpdesk="zendesk")

    with Store.open(database_url) as store:
        warnings = [
            r for r in store.recent_actions(limit=10_000) if r.variant.startswith("warning:")
        ]
    assert wait_key("sla_warning_19h", "warning", {r.key for r in warnings})
    assert all(r.state == ActionState.APPLIED and r.notified_at is None for r in warnings)
    sent = generic_keys(receiver)
    assert sent and not [k for k in sent if f":{SLA}:warning:" in k]
    warned = SCENARIOS["sla_warning_19h"].ticket_id
    assert not [k for k in sent if k.startswith(f"zendesk:{warned}:")]


def test_a_channel_answering_500_gets_the_alert_on_the_next_poll_and_then_never_again(
    sandbox, database_url, tmp_path, monkeypatch, receiver, caplog
):
    configure(monkeypatch, tmp_path, sandbox, database_url)
    point_alerts_at(monkeypatch, receiver)
    receiver.failing.add(SLACK_PATH)
    caplog.set_level(logging.INFO)

    first = poll_helpdesk(helpdesk="zendesk")

    assert first.alerts.sent == 0 and first.alerts.failed > 0
    refused = receiver.on(SLACK_PATH, accepted_only=False)
    assert len(refused) == first.alerts.failed and not receiver.on(SLACK_PATH)
    tried = [r for r in escalations(database_url).values() if r.notify_attempts]
    assert len(tried) == first.alerts.failed
    assert all(r.notified_at is None for r in tried)
    assert all(r.notify_error.startswith("slack: HTTP 500") for r in tried)
    assert "slack (http://127.0.0.1/…): HTTP 500" in caplog.text
    assert "t0k3n" not in caplog.text

    receiver.failing.clear()
    sandbox.advance(61)
    poll_helpdesk(helpdesk="zendesk")
    sandbox.advance(61)
    poll_helpdesk(helpdesk="zendesk")

    expected = escalations(database_url)
    assert all(r.notified_at is not None for r in expected.values())
    assert generic_keys(receiver) == Counter(set(expected))  # the webhook had it: not resent
    slack_texts = Counter(r.body["text"] for r in receiver.on(SLACK_PATH))
    assert len(slack_texts) == len(expected) and set(slack_texts.values()) == {1}


def test_an_alert_is_given_up_after_max_attempts_and_keeps_its_error(
    sandbox, database_url, tmp_path, monkeypatch, receiver
):
    configure(monkeypatch, tmp_path, sandbox, database_url, "[alerts]\nmax_attempts = 1\n")
    point_alerts_at(monkeypatch, receiver)
    receiver.failing.update({GENERIC_PATH, SLACK_PATH})

    first = poll_helpdesk(helpdesk="zendesk")
    assert first.alerts.given_up == first.alerts.failed > 0
    receiver.failing.clear()
    sandbox.advance(61)
    before = len(receiver.requests)
    later = poll_helpdesk(helpdesk="zendesk")

    given_up = [r for r in escalations(database_url).values() if r.notify_attempts]
    assert len(given_up) == first.alerts.given_up
    assert all(r.notified_at is None and "webhook: HTTP 500" in r.notify_error for r in given_up)
    sent_later = {r.body.get("idempotency_key") for r in receiver.requests[before:]}
    assert not sent_later & {r.key for r in given_up}
    assert later.alerts.failed == 0


def test_a_dry_run_sends_no_alert_that_is_due(
    sandbox, database_url, tmp_path, monkeypatch, receiver
):
    configure(monkeypatch, tmp_path, sandbox, database_url)
    poll_helpdesk(helpdesk="zendesk")  # escalations applied while no channel was configured
    point_alerts_at(monkeypatch, receiver)
    sandbox.advance(61)

    dry = poll_helpdesk(helpdesk="zendesk", dry_run=True)

    assert receiver.requests == [] and dry.alerts.sent == 0
    assert "## Alerts" not in dry.markdown()
    poll_helpdesk(helpdesk="zendesk")
    assert generic_keys(receiver) == Counter(set(escalations(database_url)))


def test_a_saved_prefect_notification_block_is_a_channel_too(
    sandbox, database_url, tmp_path, monkeypatch, receiver
):
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    CustomWebhookNotificationBlock(
        name="care-test",
        url=receiver.url + BLOCK_PATH,
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
        allow_private_urls=True,
    ).save("care-alerts-test", overwrite=True)
    configure(monkeypatch, tmp_path, sandbox, database_url)
    monkeypatch.setenv("CARE_ALERT_PREFECT_BLOCK", "custom-webhook/care-alerts-test")

    summary = poll_helpdesk(helpdesk="zendesk")

    messages = receiver.on(BLOCK_PATH)
    assert len(messages) == summary.alerts.sent == len(escalations(database_url))
    ticket = SCENARIOS["two_interactions"].ticket_id
    (escalation,) = [m for m in messages if f"(zendesk #{ticket})" in m.body["subject"]]
    assert escalation.body["subject"].startswith("CARE: Escalated")
    assert f"{sandbox.url}/agent/tickets/{ticket}" in escalation.body["body"]


def test_a_customer_answering_not_yet_is_alerted_once_with_a_link_to_the_ticket(
    sandbox, database_url, tmp_path, monkeypatch, receiver
):
    configure(monkeypatch, tmp_path, sandbox, database_url)
    point_alerts_at(monkeypatch, receiver)
    poll_helpdesk(helpdesk="zendesk")
    ticket = SCENARIOS["survey_due"].ticket_id
    answer_key = f"zendesk:{ticket}:{SURVEY_ANSWER}:"
    settings = load_settings()
    expires = datetime.now(UTC) + timedelta(days=30)
    with (
        Store.open(database_url) as store,
        SurveyServer(create_app(settings, store=store)) as server,
    ):
        sent = send_survey(store, "zendesk", str(ticket), "ada@example.com")
        link = link_to(server.url, os.environ["CARE_SURVEY_SECRET"], sent, "unsolved", expires)
        requests.get(link, timeout=10)  # a mail scanner, or the customer opening the page
        requests.post(link, data={"send": "answer", "comment": "Still broken."}, timeout=10)
        assert server.app.state.endpoint.wait_for_write_backs(timeout=30)

    for _ in range(2):
        sandbox.advance(61)
        poll_helpdesk(helpdesk="zendesk")

    (generic,) = [r for r in receiver.on(GENERIC_PATH) if r.body["idempotency_key"] == answer_key]
    url = f"{sandbox.url}/agent/tickets/{ticket}"
    assert generic.body["rule"] == SURVEY_ANSWER and generic.body["ticket_url"] == url
    assert generic.body["title"] == 'Customer answered "No, not yet"'
    assert "ticket is reopened" in generic.body["reason"]
    slack = [
        r.body["text"] for r in receiver.on(SLACK_PATH) if f"<{url}|#{ticket}>" in r.body["text"]
    ]
    assert len(slack) == 1 and slack[0].startswith(":speech_balloon:")
