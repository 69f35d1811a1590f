"""Freshdesk, as the registry lists it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.base import HelpdeskKind
from connectors.errors import MalformedRecord
from connectors.freshdesk.client import FreshdeskHelpdesk, Window
from connectors.freshdesk.settings import (
    CREDENTIAL,
    SECRET_KEYS,
    FreshdeskConfig,
    FreshdeskSection,
    freshdesk_config,
)
from connectors.timestamps import parse_time


def open_freshdesk(config: FreshdeskConfig, memory: Any = None, **kwargs: Any) -> FreshdeskHelpdesk:
    return FreshdeskHelpdesk(
        config.url,
        config.api_key.get_secret_value(),
        memory=memory,
        custom_statuses=config.custom_statuses,
        **kwargs,
    )


def cursor_moment(cursor: str) -> datetime | None:
    """The `updated_since` the list stands at: the newest change the cursor has passed."""
    try:
        return parse_time(Window.decode(cursor).since, "cursor.since")
    except (ValueError, KeyError, TypeError, MalformedRecord):
        return None


def _sandbox_settings(sandbox: Any) -> dict[str, str]:
    return {"CARE_FRESHDESK_URL": sandbox.url, "CARE_FRESHDESK_API_KEY": sandbox.api_key}


FRESHDESK = HelpdeskKind(
    name="freshdesk",
    title="Freshdesk",
    section=FreshdeskSection,
    read=freshdesk_config,
    open=open_freshdesk,
    credential=CREDENTIAL,
    secret_keys=SECRET_KEYS,
    sandbox="sandboxes.freshdesk:FreshdeskSandbox",
    sandbox_settings=_sandbox_settings,
    cursor_moment=cursor_moment,
)
