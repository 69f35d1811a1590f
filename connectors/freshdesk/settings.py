"""Freshdesk's settings: the `[freshdesk]` table of care.toml and CARE_FRESHDESK_*."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from care.settings.errors import ConfigError
from care.settings.reading import MAX_API_BUDGET, SettingsSource
from care.settings.secrets import hold_secrets

CREDENTIAL = "Freshdesk → Profile settings → View API key; set CARE_FRESHDESK_API_KEY"
SECRET_KEYS = {"api_key": "CARE_FRESHDESK_API_KEY"}

CustomStatus = Literal["open", "pending", "hold", "solved"]


class FreshdeskSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    api_budget_per_minute: int = Field(0, ge=0, le=MAX_API_BUDGET)  # credits; 0: not shared
    # Custom status codes (6 and up) as CARE reads them; Freshdesk's stock ones are
    # 6 "Waiting on Customer" and 7 "Waiting on Third Party". Others count as open.
    custom_statuses: dict[str, CustomStatus] = Field(
        default_factory=lambda: {"6": "pending", "7": "hold"}
    )

    @field_validator("custom_statuses")
    @classmethod
    def _codes_are_custom(cls, value: dict[str, CustomStatus]) -> dict[str, CustomStatus]:
        for code in value:
            if not code.isdigit() or not 6 <= int(code) <= 2**31 - 1:
                raise ValueError(f"{code!r} is not a custom status code (6 and up)")
        return value


@dataclass(frozen=True)
class FreshdeskConfig:
    helpdesk: ClassVar[str] = "freshdesk"

    url: str
    api_key: SecretStr
    custom_statuses: Mapping[int, str] = field(default_factory=dict)
    api_budget_per_minute: int = 0

    def __post_init__(self) -> None:
        hold_secrets(self, "api_key")


def freshdesk_config(section: FreshdeskSection, source: SettingsSource) -> FreshdeskConfig | None:
    url = source.base_url("freshdesk", section.url)
    if not url:
        return None
    api_key = source.secret_of("CARE_FRESHDESK_API_KEY")
    if not api_key:
        raise ConfigError(
            f"Freshdesk at {url} has no API key: set CARE_FRESHDESK_API_KEY "
            "(Profile settings → View API key in Freshdesk)"
        )
    custom = {int(code): status for code, status in section.custom_statuses.items()}
    return FreshdeskConfig(
        url=url,
        api_key=api_key,
        custom_statuses=custom,
        api_budget_per_minute=section.api_budget_per_minute,
    )
