"""Open the connector for a configured helpdesk by name."""

from __future__ import annotations

from care.settings.load import ConfigError, Settings, ZendeskConfig
from connectors.base import ConnectorMemory, Helpdesk
from connectors.budget import PrefectRateLimit, ensure_limit
from connectors.freshdesk.client import FreshdeskHelpdesk
from connectors.http import Credentials
from connectors.zendesk.auth import ApiToken, ClientCredentials, StaticBearer
from connectors.zendesk.client import ZendeskHelpdesk

KNOWN = ("zendesk", "freshdesk")


def open_helpdesk(
    name: str,
    settings: Settings,
    accounts: ConnectorMemory | None = None,
    max_attempts: int | None = None,
) -> Helpdesk:
    """`accounts`: where the connector keeps what it looked up (the store), if anywhere.
    `max_attempts`: tries per request before an outage is raised (default: the connector's).

    With `api_budget_per_minute` set, every request first takes its share of the
    budget that all workers calling this helpdesk hold together (connectors/budget.py).
    """
    helpdesk: ZendeskHelpdesk | FreshdeskHelpdesk
    if name == "zendesk":
        if settings.zendesk is None:
            raise ConfigError("zendesk is not configured: set CARE_ZENDESK_URL or [zendesk] url")
        helpdesk, budget = zendesk_from_config(settings.zendesk), settings.zendesk
    elif name == "freshdesk":
        if settings.freshdesk is None:
            raise ConfigError(
                "freshdesk is not configured: set CARE_FRESHDESK_URL or [freshdesk] url"
            )
        helpdesk = FreshdeskHelpdesk(
            settings.freshdesk.url,
            settings.freshdesk.api_key.get_secret_value(),
            memory=accounts,
            custom_statuses=settings.freshdesk.custom_statuses,
        )
        budget = settings.freshdesk
    else:
        raise ConfigError(f"unknown helpdesk {name!r}: choose one of {', '.join(KNOWN)}")
    if max_attempts is not None:
        helpdesk.http.max_attempts = max_attempts
    if budget.api_budget_per_minute:
        limit = ensure_limit(name, budget.api_budget_per_minute)
        helpdesk.http.budget = PrefectRateLimit(limit)
    return helpdesk


def zendesk_from_config(config: ZendeskConfig, **kwargs) -> ZendeskHelpdesk:
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
        assert config.email and config.api_token  # load_settings refuses anything else
        return ApiToken(config.email, config.api_token.get_secret_value())

    return ZendeskHelpdesk(config.url, credentials, per_page=config.per_page, **kwargs)
