"""A helpdesk URL where nothing answers fails at once, naming the setting; an outage after
the helpdesk has answered is retried as before."""

from __future__ import annotations

import time

import pytest

from connectors.errors import ConnectionFailed, Unreachable
from connectors.freshdesk.client import FreshdeskHelpdesk
from connectors.zendesk.auth import ApiToken, ClientCredentials
from connectors.zendesk.client import ZendeskHelpdesk
from sandboxes.zendesk import ZendeskSandbox
from tests.connectors.conftest import FakeSleep, oauth_client
from tests.ports import free_port

CLOSED = f"http://127.0.0.1:{free_port()}"  # nothing listens there
UNKNOWN = "https://helpdesk.care-test.invalid"  # .invalid never resolves (RFC 2606)


@pytest.mark.parametrize("url", [CLOSED, UNKNOWN], ids=["refused", "unknown-host"])
def test_a_zendesk_url_where_nothing_answers_fails_at_once_naming_it(url: str) -> None:
    started = time.monotonic()
    with pytest.raises(Unreachable) as failed:
        ZendeskHelpdesk(url, ApiToken("a@b.c", "t")).whoami()
    assert time.monotonic() - started < 5  # not six attempts with backoff
    assert "check CARE_ZENDESK_URL" in str(failed.value)
    assert url.split("//")[1] not in str(failed.value)


def test_the_oauth_token_exchange_fails_at_once_too() -> None:
    client = ZendeskHelpdesk(CLOSED, lambda s: ClientCredentials(CLOSED, "id", "secret", s))
    with pytest.raises(Unreachable, match="check CARE_ZENDESK_URL"):
        client.whoami()


@pytest.mark.parametrize("url", [CLOSED, UNKNOWN], ids=["refused", "unknown-host"])
def test_a_freshdesk_url_where_nothing_answers_names_its_variable(url: str) -> None:
    with pytest.raises(Unreachable, match="check CARE_FRESHDESK_URL"):
        FreshdeskHelpdesk(url, "key").whoami()


def test_a_helpdesk_that_answered_and_then_goes_away_is_retried() -> None:
    sleep = FakeSleep()
    with ZendeskSandbox(tickets=1) as sandbox:
        client = oauth_client(sandbox, sleep=sleep)
        client.whoami()
    client.close()  # no kept-alive connection to the stopped server
    with pytest.raises(ConnectionFailed):  # an outage, not a wrong address
        client.whoami()
    assert len(sleep.waits) == client.http.max_attempts - 1
