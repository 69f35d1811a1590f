"""Group names for the report: Zendesk GET /api/v2/groups (cursor pagination), Freshdesk
GET /api/v2/groups (page/per_page); a request per 100 groups, read-only."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connectors.freshdesk import endpoints as freshdesk_ep
from connectors.freshdesk.client import FreshdeskHelpdesk
from connectors.zendesk import endpoints as zendesk_ep
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.connectors.conftest import oauth_client


@pytest.fixture
def freshdesk() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=5, seed=3) as sb:
        yield sb


def test_zendesk_group_names_follow_the_cursor_across_pages(
    sandbox: ZendeskSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(zendesk_ep, "GROUPS_PAGE_SIZE", 4)  # six groups: two pages

    names = oauth_client(sandbox).group_names()

    assert names["360001"] == "Support" and names["360003"] == "Technical support"
    assert len(names) == 6
    reads = [path for method, path in sandbox.requests_log if path.startswith("/api/v2/groups")]
    assert len(reads) == 2
    assert not [m for m, p in sandbox.requests_log if m != "GET" and p.startswith("/api/v2")]


def test_freshdesk_group_names_page_until_a_short_page(
    freshdesk: FreshdeskSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(freshdesk_ep, "GROUPS_PAGE_SIZE", 2)  # three groups: two pages

    names = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key).group_names()

    assert names == {"501": "Billing", "502": "Technical support", "503": "Accounts"}
    assert sum(1 for _, path in freshdesk.requests_log if path == "/api/v2/groups") == 2
