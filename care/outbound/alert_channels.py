"""Where alerts go: a generic JSON webhook, a Slack incoming webhook, a Prefect block.

The two webhooks are posted here with `requests`, not through Prefect's
`SlackWebhook` or `CustomWebhookNotificationBlock`: `SlackWebhook` sends through
apprise, which accepts only hooks.slack.com URLs and writes its own layout (no
Slack-compatible receiver on another host, no test receiver), and the custom
block fills a template with `subject`/`body` text only, so it can neither send
the structured payload nor a per-alert `Idempotency-Key` header. Any other
channel Prefect knows (Teams, PagerDuty, Discord, Mattermost, a custom webhook…)
is reached by naming a saved notification block: `CARE_ALERT_PREFECT_BLOCK`.

Webhook URLs carry their token in the path: they are shown masked (`mask_url`)
and no error text here contains one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from care.domain.alerts import (
    PREFECT_BLOCK,
    SLACK,
    WEBHOOK,
    Alert,
    block_message,
    mask_url,
    scrub_urls,
    slack_payload,
    webhook_payload,
)
from care.settings.load import AlertSettings

USER_AGENT = "care-pipelines alerts"


class DeliveryError(Exception):
    """A channel did not take the alert; the message is safe to log and store."""


class AlertChannel(Protocol):
    name: str  # WEBHOOK, SLACK or PREFECT_BLOCK

    @property
    def target(self) -> str:
        """Where it sends, fit for logs (no token)."""
        ...

    def send(self, alert: Alert) -> None:
        """Deliver the alert or raise `DeliveryError`."""
        ...


@dataclass
class WebhookChannel:
    """POSTs JSON; any 2xx is delivered. Redirects are not followed (they would be
    answered with a GET, or carry the alert to a host nobody configured)."""

    name: str
    url: str = field(repr=False)
    payload: Callable[[Alert], dict[str, Any]]
    timeout_s: float
    session: requests.Session

    @property
    def target(self) -> str:
        return mask_url(self.url)

    def send(self, alert: Alert) -> None:
        headers = {"Idempotency-Key": alert.key, "User-Agent": USER_AGENT}
        try:
            response = self.session.post(
                self.url,
                json=self.payload(alert),
                headers=headers,
                timeout=self.timeout_s,
                allow_redirects=False,
            )
        # requests puts the URL in its messages: only the kind of failure is kept.
        except requests.Timeout:
            raise DeliveryError(f"no answer within {self.timeout_s:g} s") from None
        except requests.ConnectionError:
            raise DeliveryError("could not connect") from None
        except requests.RequestException as exc:
            raise DeliveryError(type(exc).__name__) from None
        if not 200 <= response.status_code < 300:
            detail = self._excerpt(response.text)
            raise DeliveryError(f"HTTP {response.status_code}{': ' + detail if detail else ''}")

    def _excerpt(self, text: str) -> str:
        """The start of an error body (Slack says e.g. `invalid_token`), token-free."""
        text = " ".join(text.split())[:120]
        path = urlsplit(self.url).path
        for secret in (self.url, path if len(path) > 1 else None):
            if secret:
                text = text.replace(secret, "…")
        return scrub_urls(text)


@dataclass
class PrefectBlockChannel:
    """A saved Prefect notification block, loaded once by "type-slug/name"."""

    block_name: str
    name: str = PREFECT_BLOCK
    _block: Any = None

    @property
    def target(self) -> str:
        return f"Prefect block {self.block_name}"

    def send(self, alert: Alert) -> None:
        body, subject = block_message(alert)
        try:
            block = self._load()
            # Blocks log a failed send and return; this makes them raise instead.
            with block.raise_on_failure():
                block.notify(body, subject)
        except DeliveryError:
            raise
        except Exception as exc:  # a block's failure may be any exception
            message = scrub_urls(" ".join(str(exc).split()))[:200]
            kind = type(exc).__name__
            raise DeliveryError(f"{kind}: {message}" if message else kind) from None

    def _load(self) -> Any:
        if self._block is None:
            from prefect.blocks.abstract import NotificationBlock
            from prefect.blocks.core import Block

            block = Block.load(self.block_name)
            if not isinstance(block, NotificationBlock):
                raise DeliveryError(f"{self.block_name} is not a notification block")
            self._block = block
        return self._block


def open_channels(settings: AlertSettings, session: requests.Session) -> list[AlertChannel]:
    """The configured channels, in a fixed order."""
    timeout = settings.timeout_s
    channels: list[AlertChannel] = []
    if settings.webhook_url:
        url = settings.webhook_url.get_secret_value()
        channels.append(WebhookChannel(WEBHOOK, url, webhook_payload, timeout, session))
    if settings.slack_webhook_url:
        url = settings.slack_webhook_url.get_secret_value()
        channels.append(WebhookChannel(SLACK, url, slack_payload, timeout, session))
    if settings.prefect_block:
        channels.append(PrefectBlockChannel(settings.prefect_block))
    return channels


def open_channel_names(settings: AlertSettings) -> list[str]:
    """The names of the configured channels, in `open_channels`' order."""
    names = [WEBHOOK] if settings.webhook_url else []
    names += [SLACK] if settings.slack_webhook_url else []
    return names + ([PREFECT_BLOCK] if settings.prefect_block else [])


def send_everywhere(settings: AlertSettings, alert: Alert) -> dict[str, str]:
    """`alert` sent once to every configured channel, for alerts outside the action log
    (`outage_alert`): the caller decides it is news. Returns each failing channel's error."""
    errors: dict[str, str] = {}
    with requests.Session() as session:
        for channel in open_channels(settings, session):
            try:
                channel.send(alert)
            except DeliveryError as exc:
                errors[channel.name] = str(exc)
    return errors
