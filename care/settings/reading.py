"""What a part of the settings is read from: the environment, the secret source and the
name of the file, handed to each helpdesk's reader (connectors/registry.py)."""

from __future__ import annotations

import os
from collections import ChainMap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from pydantic import SecretStr

from care.settings.errors import ConfigError
from care.settings.secrets import SecretReader
from care.settings.urls import UrlError, helpdesk_base_url

# Requests a minute (Zendesk) or credits a minute (Freshdesk): the largest plans allow a
# few thousand; far above that is a typo, not a budget.
MAX_API_BUDGET = 100_000

_OVERLAY: ContextVar[Mapping[str, str] | None] = ContextVar("care_environment", default=None)


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """CARE_* values over the process environment for the settings read inside the block
    (and in the flow runs and task threads it starts), leaving `os.environ` alone: `care
    demo` points the product at its sandboxes this way. An empty value unsets one."""
    token = _OVERLAY.set({**(_OVERLAY.get() or {}), **values})
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def current_environment() -> Mapping[str, str]:
    """The environment settings are read from: `os.environ`, under any `environment`."""
    overlay = _OVERLAY.get()
    return ChainMap(dict(overlay), os.environ) if overlay else os.environ


@dataclass(frozen=True)
class SettingsSource:
    env: Mapping[str, str]
    secret: SecretReader  # CARE_* secrets: the environment, or Prefect Secret blocks
    file: str  # where the file came from ("defaults" when there is none), for messages

    def variable(self, name: str) -> str | None:
        return self.env.get(name) or None

    def secret_of(self, name: str) -> SecretStr | None:
        return self.secret(name)

    def base_url(self, helpdesk: str, section_url: str | None) -> str:
        """The helpdesk's base URL from CARE_<NAME>_URL or the file ("" when unset)."""
        variable = f"CARE_{helpdesk.upper()}_URL"
        url = self.env.get(variable) or section_url or ""
        setting = variable if self.env.get(variable) else f"{helpdesk}.url in {self.file}"
        try:
            return url and helpdesk_base_url(url, setting, f"https://acme.{helpdesk}.com")
        except UrlError as exc:
            raise ConfigError(str(exc)) from None
