"""Rate limits, transient failures and credentials, against the sandbox."""

from __future__ import annotations

import pytest

from connectors.errors import AuthError, ServerError
from sandboxes.zendesk import ZendeskSandbox
from tests.connectors.conftest import month_ago, oauth_client, token_client


def test_429_is_waited_out_for_retry_after_then_the_page_arrives(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    sandbox.inject("429@/api/v2/incremental")
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250
    assert client.stats.rate_limited == 1
    assert sleep.waits and sleep.waits[0] >= 1  # the sandbox's Retry-After
    assert client.stats.rate_limit_wait_s == sleep.waits[0]


def test_rate_limited_sandbox_budget_is_honoured():
    with ZendeskSandbox(tickets=60, rate_limit_per_minute=2) as sb:
        sleeps = []

        def sleep(seconds):
            sleeps.append(seconds)
            sb.advance(seconds)  # let the sandbox's minute pass instead of waiting

        client = oauth_client(sb, sleep=sleep, per_page=20)
        ids = set()
        cursor = None
        while True:
            page = client.read_page(cursor, month_ago())
            ids |= {t.id for t in page.tickets}
            cursor = page.cursor
            if page.end_of_stream:
                break
        assert len(ids) == 60
        assert client.stats.rate_limited >= 1 and sleeps


@pytest.mark.parametrize("fault", ["500", "503", "conn_reset"])
def test_transient_failure_is_retried_then_succeeds(sandbox, sleep, fault):
    client = oauth_client(sandbox, sleep=sleep)
    sandbox.inject(f"{fault}@/api/v2/incremental")
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250
    assert client.stats.retries == 1


def test_persistent_server_errors_give_up_with_a_server_error(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    for _ in range(10):
        sandbox.inject("500@/api/v2/incremental")
    sandbox.reset_log()
    with pytest.raises(ServerError, match="500"):
        client.read_page(None, month_ago())
    reads = [path for _, path in sandbox.requests_log if path.startswith("/api/v2/incremental")]
    assert len(reads) == 6  # connectors.http.MAX_ATTEMPTS: the first try and five retries
    assert len(sleep.waits) == 5 and client.stats.retries == 5


def test_wrong_legacy_token_names_the_variables_to_fix(sandbox):
    client = token_client(sandbox, "not-the-token")
    with pytest.raises(AuthError, match="CARE_ZENDESK_EMAIL / CARE_ZENDESK_TOKEN") as caught:
        client.read_page(None, month_ago())
    assert "not-the-token" not in str(caught.value)


def test_wrong_client_secret_names_the_oauth_variables(sandbox):
    client = oauth_client(sandbox, secret="wrong-secret")
    with pytest.raises(AuthError, match="CARE_ZENDESK_CLIENT_SECRET") as caught:
        client.read_page(None, month_ago())
    assert "wrong-secret" not in str(caught.value)


def test_expired_bearer_token_is_renewed_once_and_the_request_retried(sandbox):
    client = oauth_client(sandbox)
    client.read_page(None, month_ago())
    sandbox.expire_tokens()
    sandbox.reset_log()
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250
    # refused with the expired token, a new one asked for, the same read sent again
    read = ("GET", "/api/v2/incremental/tickets/cursor")
    assert sandbox.requests_log == [read, ("POST", "/oauth/tokens"), read]


def test_legacy_api_token_still_works(sandbox):
    page = token_client(sandbox, sandbox.api_token).read_page(None, month_ago())
    assert len(page.tickets) == 250


def test_a_rate_limited_token_request_is_waited_out_too(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    sandbox.inject("429@/oauth/tokens")
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250
    assert client.stats.rate_limited == 1 and sleep.waits  # waited, then got a token
