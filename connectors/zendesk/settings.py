"""Zendesk's settings: the `[zendesk]` table of care.toml and its CARE_ZENDESK_* variables.

Zendesk no longer issues API tokens: new installs use an OAuth client (client
credentials grant); an existing token still works, with a warning from `care check`,
until Zendesk deactivates every token (SPEC §7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from care.settings.errors import ConfigError
from care.settings.reading import MAX_API_BUDGET, SettingsSource
from care.settings.secrets import hold_secrets

TOKENS_END = date(2027, 4, 30)  # Zendesk deactivates every API token (SPEC §7)
CREDENTIAL = (
    "an OAuth client of an admin: Admin Center → Apps and integrations → APIs → "
    "OAuth clients; set CARE_ZENDESK_CLIENT_ID and CARE_ZENDESK_CLIENT_SECRET"
)
# Keys that would hold a Zendesk secret if written in care.toml, and where it belongs.
SECRET_KEYS = {
    "client_secret": "CARE_ZENDESK_CLIENT_SECRET",
    "oauth_token": "CARE_ZENDESK_OAUTH_TOKEN",
    "token": "CARE_ZENDESK_TOKEN",
    "api_token": "CARE_ZENDESK_TOKEN",
}


class ZendeskSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    per_page: int = Field(1000, ge=1, le=1000)
    oauth_scope: str = "read write"
    oauth_token_lifetime_s: int = Field(3600, gt=300, lt=172800)  # as Zendesk documents it
    api_budget_per_minute: int = Field(0, ge=0, le=MAX_API_BUDGET)  # 0: not shared


@dataclass(frozen=True)
class ZendeskConfig:
    helpdesk: ClassVar[str] = "zendesk"

    url: str
    client_id: str | None = None
    client_secret: SecretStr | None = None
    oauth_token: SecretStr | None = None
    email: str | None = None
    api_token: SecretStr | None = None
    per_page: int = 1000
    oauth_scope: str = "read write"
    oauth_token_lifetime_s: int = 3600
    api_budget_per_minute: int = 0

    def __post_init__(self) -> None:
        hold_secrets(self, "client_secret", "oauth_token", "api_token")

    @property
    def auth_method(self) -> str:
        if self.client_id and self.client_secret:
            return "oauth-client-credentials"
        if self.oauth_token:
            return "oauth-token"
        if self.email and self.api_token:
            return "api-token"
        return "none"


def zendesk_config(section: ZendeskSection, source: SettingsSource) -> ZendeskConfig | None:
    url = source.base_url("zendesk", section.url)
    if not url:
        return None
    config = ZendeskConfig(
        url=url,
        client_id=source.variable("CARE_ZENDESK_CLIENT_ID"),
        client_secret=source.secret_of("CARE_ZENDESK_CLIENT_SECRET"),
        oauth_token=source.secret_of("CARE_ZENDESK_OAUTH_TOKEN"),
        email=source.variable("CARE_ZENDESK_EMAIL"),
        api_token=source.secret_of("CARE_ZENDESK_TOKEN"),
        per_page=section.per_page,
        oauth_scope=section.oauth_scope,
        oauth_token_lifetime_s=section.oauth_token_lifetime_s,
        api_budget_per_minute=section.api_budget_per_minute,
    )
    if config.client_id and not config.client_secret:
        raise ConfigError("CARE_ZENDESK_CLIENT_ID is set but CARE_ZENDESK_CLIENT_SECRET is missing")
    if config.email and not config.api_token and config.auth_method == "none":
        raise ConfigError("CARE_ZENDESK_EMAIL is set but CARE_ZENDESK_TOKEN is missing")
    if config.auth_method == "none":
        raise ConfigError(
            f"Zendesk at {config.url} has no credentials: set CARE_ZENDESK_CLIENT_ID and "
            "CARE_ZENDESK_CLIENT_SECRET (an OAuth client from Admin Center → Apps and "
            "integrations → APIs → OAuth clients), or CARE_ZENDESK_OAUTH_TOKEN"
        )
    return config


def credential_warning(config: ZendeskConfig, now: datetime) -> str | None:
    """A legacy API token works until Zendesk deactivates them all; `care check` says when."""
    if config.auth_method != "api-token":
        return None
    days = (TOKENS_END - now.date()).days
    when = (
        f"deactivates API tokens on {TOKENS_END} (in {days} days)"
        if days >= 0
        else f"deactivated API tokens on {TOKENS_END}"
    )
    return f"CARE_ZENDESK_EMAIL + CARE_ZENDESK_TOKEN is a legacy API token: Zendesk {when}"
