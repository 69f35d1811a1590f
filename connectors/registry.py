"""The helpdesks CARE speaks to: the one list of vendors in the product.

The settings read each one's `[name]` table and CARE_<NAME>_* variables through its
entry; the CLI, `care check`, `care status`, `care sandbox` and the demo iterate it.
A third helpdesk is a package under connectors/ (its client, settings and `kind.py`),
one under sandboxes/, and one line here (docs/architecture.md shows the sketch).
"""

from __future__ import annotations

from typing import Any

from care.settings.errors import ConfigError
from connectors.base import ConnectorMemory, Helpdesk, HelpdeskKind
from connectors.budget import PrefectRateLimit, ensure_limit
from connectors.freshdesk.kind import FRESHDESK
from connectors.zendesk.kind import ZENDESK

HELPDESKS: dict[str, HelpdeskKind] = {kind.name: kind for kind in (ZENDESK, FRESHDESK)}


def helpdesk_kind(name: str) -> HelpdeskKind:
    try:
        return HELPDESKS[name]
    except KeyError:
        known = ", ".join(HELPDESKS)
        raise ConfigError(f"unknown helpdesk {name!r}: choose one of {known}") from None


def open_helpdesk(
    config: Any,
    accounts: ConnectorMemory | None = None,
    max_attempts: int | None = None,
    **options: Any,
) -> Helpdesk:
    """A connector for one helpdesk's config (`Settings.helpdesk(name)`).

    `accounts`: where the connector keeps what it looked up (the store), if anywhere.
    `max_attempts`: tries per request before an outage is raised (default: the connector's).
    With `api_budget_per_minute` set, every request first takes its share of the
    budget that all workers calling this helpdesk hold together (connectors/budget.py).
    """
    helpdesk: Any = helpdesk_kind(config.helpdesk).open(config, accounts, **options)
    if max_attempts is not None:
        helpdesk.http.max_attempts = max_attempts
    if config.api_budget_per_minute:
        limit = ensure_limit(config.helpdesk, config.api_budget_per_minute)
        helpdesk.http.budget = PrefectRateLimit(limit)
    return helpdesk
