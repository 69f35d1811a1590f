"""The webhook channels over real HTTP on loopback: headers, errors, and no token in them."""

from __future__ import annotations

import pytest
import requests

from care.domain.alerts import SLACK, WEBHOOK, slack_payload, webhook_payload
from care.outbound.alert_channels import DeliveryError, WebhookChannel, open_channels
from care.settings.load import AlertSettings
from tests.alerts.builders import alert
from tests.flows.webhooks import GENERIC_PATH, SLACK_PATH, webhook_receiver
from tests.ports import free_port


@pytest.fixture
def session():
    with requests.Session() as s:
        yield s


def test_the_webhook_posts_json_with_the_idempotency_key_header(session):
    with webhook_receiver() as receiver:
        channel = WebhookChannel(WEBHOOK, receiver.url + GENERIC_PATH, webhook_payload, 5, session)
        channel.send(alert())
    (received,) = receiver.requests
    assert received.headers["Idempotency-Key"] == "zendesk:42:resolve.two_interactions:"
    assert received.headers["Content-Type"] == "application/json"
    assert received.body == webhook_payload(alert())


def test_a_refusal_names_the_status_and_never_the_token(session):
    with webhook_receiver() as receiver:
        receiver.failing.add(SLACK_PATH)
        channel = WebhookChannel(SLACK, receiver.url + SLACK_PATH, slack_payload, 5, session)
        with pytest.raises(DeliveryError, match="HTTP 500: internal_error") as raised:
            channel.send(alert())
    assert "t0k3n" not in str(raised.value)
    assert channel.target == "http://127.0.0.1/…" and "t0k3n" not in repr(channel)


def test_an_unreachable_receiver_is_a_delivery_error_without_the_url(session):
    url = f"http://127.0.0.1:{free_port()}/services/T0/B0/t0k3n"
    channel = WebhookChannel(WEBHOOK, url, webhook_payload, 2, session)
    with pytest.raises(DeliveryError, match="could not connect") as raised:
        channel.send(alert())
    assert "t0k3n" not in str(raised.value)


def test_channels_are_those_configured(session):
    assert open_channels(AlertSettings(), session) == []
    both = AlertSettings(webhook_url="https://a.example/x", slack_webhook_url="https://b/y")
    assert [c.name for c in open_channels(both, session)] == [WEBHOOK, SLACK]
    block = AlertSettings(prefect_block="slack-webhook/care")
    assert [c.target for c in open_channels(block, session)] == ["Prefect block slack-webhook/care"]
