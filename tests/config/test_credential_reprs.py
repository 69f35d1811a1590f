"""Credential objects never show their secret in a repr: reprs reach logs, tracebacks and
debuggers' variable views."""

from __future__ import annotations

import requests

from care.outbound.transport import SmtpTransport
from connectors.freshdesk.client import ApiKey
from connectors.zendesk.auth import ApiToken, ClientCredentials, StaticBearer

SECRET = "s3cret-credential-value"


def test_zendesk_credentials_show_who_but_never_the_secret():
    with requests.Session() as session:
        oauth = ClientCredentials(
            base_url="https://acme.zendesk.com",
            client_id="care",
            client_secret=SECRET,
            session=session,
        )
        shown = [repr(oauth), repr(ApiToken("admin@acme.test", SECRET)), repr(StaticBearer(SECRET))]
    assert all(SECRET not in text for text in shown), shown
    assert "care" in shown[0] and "admin@acme.test" in shown[1]


def test_a_freshdesk_api_key_is_not_shown_even_base64_encoded():
    key = ApiKey(SECRET)
    assert SECRET not in repr(key) and key.header().split()[1] not in repr(key)


def test_smtp_credentials_show_the_user_but_never_the_password():
    smtp = SmtpTransport("smtp.acme.test", 587, "care-bot", SECRET)
    assert "care-bot" in repr(smtp) and SECRET not in repr(smtp) + repr(vars(smtp))
