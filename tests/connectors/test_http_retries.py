"""The retry loop: what is retried, and that it always ends in the real error."""

from __future__ import annotations

import pytest

from connectors.errors import AuthError, MalformedAnswer, RateLimited
from connectors.http import WAIT_BUDGET_S
from tasks.poll import retry_transient
from tests.connectors.conftest import month_ago, oauth_client


def test_a_token_expiring_on_the_last_attempt_is_renewed_and_the_page_arrives(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    client.read_page(None, month_ago())
    client.http.max_attempts = 1  # the 401 comes on the last attempt
    sandbox.expire_tokens()
    sandbox.reset_log()
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250
    # refused with the expired token, a new one asked for, the same read sent again
    read = ("GET", "/api/v2/incremental/tickets/cursor")
    assert sandbox.requests_log == [read, ("POST", "/oauth/tokens"), read]


def test_a_401_after_a_fresh_token_on_the_last_attempt_raises_the_auth_error(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    client.http.max_attempts = 1
    sandbox.inject("401@/api/v2/incremental")
    sandbox.inject("401@/api/v2/incremental")
    with pytest.raises(AuthError, match="CARE_ZENDESK_CLIENT_ID"):
        client.read_page(None, month_ago())


def test_a_read_answered_with_broken_json_is_retried(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    sandbox.inject("lost_garbled@/api/v2/incremental")
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250 and client.stats.retries == 1


def test_a_read_that_keeps_answering_broken_json_ends_in_a_typed_error(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    for _ in range(10):
        sandbox.inject("lost_garbled@/api/v2/incremental")
    with pytest.raises(MalformedAnswer, match="not JSON"):
        client.read_page(None, month_ago())


def test_a_503_with_retry_after_waits_as_told(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    sandbox.inject("503:7@/api/v2/incremental")
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250 and sleep.waits == [7.0]


def test_a_retry_after_given_as_an_http_date_is_waited_out(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    sandbox.inject("429:date+30@/api/v2/incremental")
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250
    assert len(sleep.waits) == 1 and 25 <= sleep.waits[0] <= 31


def test_an_hour_of_retry_after_ends_the_request_as_rate_limited_without_waiting(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    sandbox.inject("429:3600@/api/v2/incremental")
    with pytest.raises(RateLimited, match="3600 s") as caught:
        client.read_page(None, month_ago())
    assert sleep.waits == []
    assert not retry_transient(None, None, _Failed(caught.value))  # no Prefect retry on top


def test_waits_that_add_up_past_the_budget_end_the_request(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    for _ in range(3):
        sandbox.inject("429:100@/api/v2/incremental")
    with pytest.raises(RateLimited):
        client.read_page(None, month_ago())
    assert sum(sleep.waits) <= WAIT_BUDGET_S


class _Failed:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def result(self) -> None:
        raise self.error
