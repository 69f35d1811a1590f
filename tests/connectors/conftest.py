"""Contract-test fixtures: the connector against the Zendesk sandbox over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from connectors.zendesk.auth import ApiToken, ClientCredentials
from connectors.zendesk.client import ZendeskHelpdesk
from sandboxes.zendesk import ZendeskSandbox


class FakeSleep:
    """Records the waits instead of sleeping, so 429/5xx tests take no time."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sandbox() -> Iterator[ZendeskSandbox]:
    with ZendeskSandbox(tickets=250, seed=11, job_delay_ms=5) as sb:
        yield sb


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def oauth_client(sb: ZendeskSandbox, sleep=None, per_page: int = 1000, secret: str | None = None):
    def credentials(session):
        return ClientCredentials(sb.url, sb.client_id, secret or sb.client_secret, session)

    kwargs = {"sleep": sleep} if sleep else {}
    return ZendeskHelpdesk(sb.url, credentials, per_page=per_page, **kwargs)


def token_client(sb: ZendeskSandbox, token: str, sleep=None) -> ZendeskHelpdesk:
    kwargs = {"sleep": sleep} if sleep else {}
    return ZendeskHelpdesk(sb.url, ApiToken(sb.admin_email, token), **kwargs)


def month_ago() -> datetime:
    return datetime.now(UTC) - timedelta(days=31)
