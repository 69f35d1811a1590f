"""The retry loop: what is retried, and that it always ends in the real error."""

from __future__ import annotations

import pytest

from connectors.errors import AuthError, MalformedAnswer
from tests.connectors.conftest import month_ago, oauth_client


def test_a_token_expiring_on_the_last_attempt_is_renewed_and_the_page_arrives(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    client.read_page(None, month_ago())
    client.http.max_attempts = 1  # the 401 comes on the last attempt
    sandbox.expire_tokens()
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250
    assert client.http._credentials.tokens_obtained == 2


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
