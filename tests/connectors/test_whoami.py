"""Whom a credential authenticates as: Zendesk GET /api/v2/users/me, Freshdesk GET
/api/v2/agents/me (what `care check` asks each helpdesk)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import requests

from connectors.errors import AuthError
from connectors.freshdesk.client import FreshdeskHelpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.connectors.conftest import oauth_client, token_client


@pytest.fixture
def freshdesk() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=5, seed=3) as sb:
        yield sb


def test_zendesk_oauth_client_is_the_sandbox_admin(sandbox: ZendeskSandbox) -> None:
    account = oauth_client(sandbox).whoami()
    assert (account.name, account.email, account.role) == (
        "CARE Sandbox Admin",
        sandbox.admin_email,
        "admin",
    )
    assert ("POST", "/oauth/tokens") in sandbox.requests_log, "the token exchange was proven"
    assert ("GET", "/api/v2/users/me") in sandbox.requests_log


def test_zendesk_legacy_token_is_the_sandbox_admin(sandbox: ZendeskSandbox) -> None:
    assert token_client(sandbox, sandbox.api_token).whoami().role == "admin"


def test_zendesk_wrong_client_secret_names_the_variables(sandbox: ZendeskSandbox) -> None:
    with pytest.raises(AuthError, match="CARE_ZENDESK_CLIENT_SECRET") as caught:
        oauth_client(sandbox, secret="not-the-secret").whoami()
    assert "not-the-secret" not in str(caught.value)


def test_zendesk_users_me_has_the_documented_shape(sandbox: ZendeskSandbox) -> None:
    header = {"Authorization": f"Basic {_basic(f'{sandbox.admin_email}/token', sandbox.api_token)}"}
    body = requests.get(f"{sandbox.url}/api/v2/users/me.json", headers=header, timeout=5).json()
    user = body["user"]
    assert {"id", "url", "name", "email", "role", "active", "created_at", "time_zone"} <= set(user)


def test_freshdesk_api_key_is_its_agent(freshdesk: FreshdeskSandbox) -> None:
    account = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key).whoami()
    assert account.id == "9001"
    assert account.name and account.email and account.email.endswith("@care-sandbox.example")
    assert account.role == "support_agent"


def test_freshdesk_wrong_api_key_names_the_variable(freshdesk: FreshdeskSandbox) -> None:
    with pytest.raises(AuthError, match="CARE_FRESHDESK_API_KEY") as caught:
        FreshdeskHelpdesk(freshdesk.url, "wrong-key-123").whoami()
    assert "wrong-key-123" not in str(caught.value)


def test_freshdesk_agents_me_has_the_documented_shape(freshdesk: FreshdeskSandbox) -> None:
    header = {"Authorization": f"Basic {_basic(freshdesk.api_key, 'X')}"}
    response = requests.get(f"{freshdesk.url}/api/v2/agents/me", headers=header, timeout=5)
    agent = response.json()
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Used-CurrentRequest"] == "1"
    assert {"id", "available", "occasional", "ticket_scope", "type", "contact"} <= set(agent)
    assert {"name", "email", "active", "language", "time_zone"} <= set(agent["contact"])


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()
