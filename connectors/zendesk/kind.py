"""Zendesk, as the registry lists it."""

from __future__ import annotations

from typing import Any

from connectors.base import HelpdeskKind
from connectors.http import Credentials
from connectors.zendesk.auth import ApiToken, ClientCredentials, StaticBearer
from connectors.zendesk.client import ZendeskHelpdesk
from connectors.zendesk.settings import (
    CREDENTIAL,
    SECRET_KEYS,
    ZendeskConfig,
    ZendeskSection,
    credential_warning,
    zendesk_config,
)


def open_zendesk(config: ZendeskConfig, memory: Any = None, **kwargs: Any) -> ZendeskHelpdesk:
    """`memory` is not needed: Zendesk's export sideloads what the Freshdesk one looks up."""

    def credentials(session) -> Credentials:
        if config.client_id and config.client_secret:
            return ClientCredentials(
                config.url,
                config.client_id,
                config.client_secret.get_secret_value(),
                session,
                scope=config.oauth_scope,
                expires_in=config.oauth_token_lifetime_s,
            )
        if config.oauth_token:
            return StaticBearer(config.oauth_token.get_secret_value())
        assert config.email and config.api_token  # zendesk_config refuses anything else
        return ApiToken(config.email, config.api_token.get_secret_value())

    return ZendeskHelpdesk(config.url, credentials, per_page=config.per_page, **kwargs)


def _sandbox_settings(sandbox: Any) -> dict[str, str]:
    return {
        "CARE_ZENDESK_URL": sandbox.url,
        "CARE_ZENDESK_CLIENT_ID": sandbox.client_id,
        "CARE_ZENDESK_CLIENT_SECRET": sandbox.client_secret,
    }


ZENDESK = HelpdeskKind(
    name="zendesk",
    title="Zendesk",
    section=ZendeskSection,
    read=zendesk_config,
    open=open_zendesk,
    credential=CREDENTIAL,
    secret_keys=SECRET_KEYS,
    sandbox="sandboxes.zendesk:ZendeskSandbox",
    sandbox_settings=_sandbox_settings,
    credential_warning=credential_warning,
    required_role="admin",
    role_reason="use the credentials of an admin: the incremental ticket export needs one",
)
