"""The OAuth token request: the same retries as every call, Zendesk's lifetime bounds,
and a scope that grants nothing named as such."""

from __future__ import annotations

import pytest

from connectors.errors import AuthError
from connectors.zendesk.auth import ClientCredentials
from connectors.zendesk.client import ZendeskHelpdesk
from tests.connectors.conftest import month_ago, oauth_client


def test_a_token_request_told_to_retry_at_an_http_date_waits_until_then(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    sandbox.inject("429:date+20@/oauth/tokens")
    page = client.read_page(None, month_ago())
    assert len(page.tickets) == 250
    assert len(sleep.waits) == 1 and 15 <= sleep.waits[0] <= 21
    assert client.stats.rate_limited == 1 and client.stats.token_requests == 2


def test_a_token_whose_scope_grants_nothing_says_check_the_oauth_scope(sandbox, sleep):
    def credentials(session):
        return ClientCredentials(
            sandbox.url, sandbox.client_id, sandbox.client_secret, session, scope="impersonate"
        )

    client = ZendeskHelpdesk(sandbox.url, credentials, sleep=sleep)
    with pytest.raises(AuthError, match="check the OAuth scope") as caught:
        client.whoami()
    assert "'impersonate'" in str(caught.value) and caught.value.status == 403


def test_a_403_once_calls_have_succeeded_still_names_the_admin_rights(sandbox, sleep):
    client = oauth_client(sandbox, sleep=sleep)
    client.whoami()
    sandbox.inject("403@/api/v2/users/me")
    with pytest.raises(AuthError, match="an admin is required"):
        client.whoami()


@pytest.mark.parametrize("lifetime", [300, 172_800, 10])
def test_a_token_lifetime_zendesk_refuses_is_refused_before_asking(sandbox, lifetime):
    with pytest.raises(ValueError, match="more than 300 and less than 172800"):
        ClientCredentials(sandbox.url, "id", "secret", None, expires_in=lifetime)  # type: ignore[arg-type]


def test_the_longest_lifetime_zendesk_allows_gets_a_token(sandbox, sleep):
    def credentials(session):
        return ClientCredentials(
            sandbox.url, sandbox.client_id, sandbox.client_secret, session, expires_in=172_799
        )

    assert ZendeskHelpdesk(sandbox.url, credentials, sleep=sleep).whoami().role == "admin"
