"""Agent names for the report: Zendesk GET /api/v2/users?role[]=agent&role[]=admin (cursor
pagination), Freshdesk GET /api/v2/agents (page/per_page, the name in contact.name); a
request per 100 agents, read-only, every page, names cleaned, ids as tickets carry them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from connectors.freshdesk import endpoints as freshdesk_ep
from connectors.freshdesk.client import FreshdeskHelpdesk
from connectors.zendesk import endpoints as zendesk_ep
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from sandboxes.zendesk.records import ADMIN_ID, AGENT_BASE, PERSON_BASE, REQUESTER_BASE
from tests.connectors.conftest import FakeSleep, month_ago, oauth_client

HOSTILE = "Ann\u202e\x00\nSmith\u2066 \ud800"  # bidi override, NUL, line break, lone surrogate
CLEANED = "Ann Smith \ufffd"
NOTHING_LEFT = "\u202e\x00 \u2069\n"


@pytest.fixture
def big_zendesk() -> Iterator[ZendeskSandbox]:
    """250 agents and the admin: three pages of 100."""
    with ZendeskSandbox(tickets=30, seed=5, agents=250) as sb:
        yield sb


@pytest.fixture
def freshdesk() -> Iterator[FreshdeskSandbox]:
    with FreshdeskSandbox(tickets=120, seed=3) as sb:
        yield sb


def staff_names(sb: ZendeskSandbox, agents: int) -> dict[str, str]:
    """What the sandbox holds: the admin and every agent, by id."""
    ids = [ADMIN_ID, *range(AGENT_BASE, AGENT_BASE + agents)]
    return {str(uid): sb.store.user_fields(uid)[0] for uid in ids}


def reads(sb: ZendeskSandbox | FreshdeskSandbox, path: str) -> list[str]:
    return [method for method, p in sb.requests_log if p == path]


def fault_after_first_page(
    monkeypatch: pytest.MonkeyPatch, sb: ZendeskSandbox | FreshdeskSandbox, path: str, fault: str
) -> None:
    """Queue `fault` as soon as the first page under `path` has been answered, so that it
    hits the listing in the middle (an injected fault fires on the next matching request)."""
    answer, armed = sb.handle, [True]

    def handle(method, target, headers, body):
        result = answer(method, target, headers, body)
        if armed[0] and target.startswith(path) and result[0] == 200:
            armed[0] = False
            sb.inject(fault)
        return result

    monkeypatch.setattr(sb, "handle", handle)


# -- Zendesk ---------------------------------------------------------------------------


def test_zendesk_reads_every_page_of_agents_and_admins_one_request_per_100(big_zendesk):
    client = oauth_client(big_zendesk)

    names = client.agent_names()

    assert names == staff_names(big_zendesk, 250)  # 251 users: pages of 100, 100, 51
    assert reads(big_zendesk, "/api/v2/users") == ["GET"] * 3
    assert client.stats.by_endpoint["GET /api/v2/users"] == 3
    assert len(big_zendesk.spending) == 3  # the account budget: one request per page
    assert not [m for m, p in big_zendesk.requests_log if m != "GET" and p.startswith("/api/v2")]


def test_zendesk_leaves_end_users_out_with_the_role_filter(sandbox):
    auth = (f"{sandbox.admin_email}/token", sandbox.api_token)
    everyone = requests.get(
        f"{sandbox.url}/api/v2/users.json", params={"page[size]": 100}, auth=auth, timeout=10
    ).json()["users"]
    assert {u["role"] for u in everyone} == {"admin", "agent", "end-user"}  # they exist

    names = oauth_client(sandbox).agent_names()

    assert names == staff_names(sandbox, 12)
    assert not [i for i in map(int, names) if i >= REQUESTER_BASE or i >= PERSON_BASE]
    assert reads(sandbox, "/api/v2/users") == ["GET"]  # 13 staff: one page


def test_zendesk_agent_names_are_cleaned_and_empty_ones_left_out(sandbox):
    sandbox.rename_user(AGENT_BASE, HOSTILE)
    sandbox.rename_user(ADMIN_ID, NOTHING_LEFT)

    names = oauth_client(sandbox).agent_names()

    assert names[str(AGENT_BASE)] == CLEANED
    assert str(ADMIN_ID) not in names
    assert names[str(AGENT_BASE + 1)] == sandbox.store.user_fields(AGENT_BASE + 1)[0]


def every_assignee(client) -> set[str]:
    """The assignee ids of every ticket the connector reads, all pages."""
    assignees, cursor = set(), None
    while True:
        page = client.read_page(cursor, month_ago())
        assignees |= {t.assignee_id for t in page.tickets if t.assignee_id}
        cursor = page.cursor
        if page.end_of_stream:
            return assignees


def test_every_zendesk_ticket_assignee_has_a_name(sandbox):
    sandbox.move(3, agent=True)
    sandbox.move(4, agent=True)
    sandbox.touch(9, assignee_id=ADMIN_ID)
    sandbox.advance(61)  # the export hides the last minute
    client = oauth_client(sandbox, per_page=100)
    assignees = every_assignee(client)

    names = client.agent_names()

    assert len(assignees) == 13 and str(ADMIN_ID) in assignees
    assert assignees <= set(names)


def test_zendesk_waits_out_a_429_in_the_middle_of_the_listing(big_zendesk, monkeypatch):
    fault_after_first_page(monkeypatch, big_zendesk, "/api/v2/users", "429:7@/api/v2/users")
    sleep = FakeSleep()
    client = oauth_client(big_zendesk, sleep=sleep)

    names = client.agent_names()

    assert names == staff_names(big_zendesk, 250)
    assert sleep.waits == [7.0]  # its Retry-After
    assert client.stats.rate_limited == 1
    assert reads(big_zendesk, "/api/v2/users") == ["GET"] * 4  # page 2 asked twice


def test_zendesk_follows_links_next_when_meta_has_no_has_more(big_zendesk, monkeypatch):
    """List Users puts `has_more` in `meta` only when asked (include_boundary_indicators);
    an answer without it is followed by `links.next` until there is none."""
    auth = (f"{big_zendesk.admin_email}/token", big_zendesk.api_token)
    bare = requests.get(
        f"{big_zendesk.url}/api/v2/users.json", params={"page[size]": 5}, auth=auth, timeout=10
    ).json()
    assert "has_more" not in bare["meta"] and bare["links"]["next"]
    answer = big_zendesk.handle

    def unasked(method, target, headers, body):
        return answer(
            method, re.sub(r"&?include_boundary_indicators=true", "", target), headers, body
        )

    monkeypatch.setattr(big_zendesk, "handle", unasked)

    assert oauth_client(big_zendesk).agent_names() == staff_names(big_zendesk, 250)
    assert reads(big_zendesk, "/api/v2/users") == ["GET"] * 3


def test_zendesk_sandbox_lists_users_by_offset_without_a_page_size(sandbox):
    auth = (f"{sandbox.admin_email}/token", sandbox.api_token)
    query = "role[]=agent&role[]=admin&per_page=5&page=2"
    page = requests.get(f"{sandbox.url}/api/v2/users.json?{query}", auth=auth, timeout=10).json()

    assert [u["id"] for u in page["users"]] == list(range(AGENT_BASE + 4, AGENT_BASE + 9))
    assert page["count"] == 13 and "meta" not in page
    assert page["next_page"].endswith("role%5B%5D=agent&role%5B%5D=admin&page=3")
    too_deep = requests.get(
        f"{sandbox.url}/api/v2/users.json?per_page=100&page=101", auth=auth, timeout=10
    )
    assert too_deep.status_code == 400  # offset pagination stops at 10,000 records


def test_zendesk_stops_at_the_page_cap(big_zendesk, monkeypatch):
    monkeypatch.setattr(zendesk_ep, "NAMES_MAX_PAGES", 2)  # a paginator that never ends

    names = oauth_client(big_zendesk).agent_names()

    assert len(names) == 200
    assert reads(big_zendesk, "/api/v2/users") == ["GET"] * 2


# -- Freshdesk -------------------------------------------------------------------------


@pytest.mark.parametrize(("agents", "requests_made"), [(4, 1), (200, 3), (230, 3)])
def test_freshdesk_reads_every_page_of_agents_one_credit_per_100(agents, requests_made):
    with FreshdeskSandbox(tickets=5, seed=3, agents=agents) as sb:
        client = FreshdeskHelpdesk(sb.url, sb.api_key)

        names = client.agent_names()

        assert set(names) == {str(i) for i in range(9001, 9001 + agents)}
        assert names["9001"] == "Ada Support" and names["9004"] == "Dev Support"
        # until a short page: 200 agents take a third, empty request
        assert reads(sb, "/api/v2/agents") == ["GET"] * requests_made
        assert sum(cost for _, cost in sb.spending) == requests_made  # 1 credit each


def test_freshdesk_agent_names_are_cleaned_and_empty_ones_left_out(freshdesk):
    freshdesk.rename_agent(9002, HOSTILE)
    freshdesk.rename_agent(9003, NOTHING_LEFT)

    names = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key).agent_names()

    assert names == {"9001": "Ada Support", "9002": CLEANED, "9004": "Dev Support"}


def test_every_freshdesk_ticket_responder_has_a_name(freshdesk):
    freshdesk.move(2, agent=True)
    client = FreshdeskHelpdesk(freshdesk.url, freshdesk.api_key)
    assignees = every_assignee(client)

    names = client.agent_names()

    assert assignees == {"9001", "9002", "9003", "9004"}
    assert assignees <= set(names)


def test_freshdesk_waits_out_a_429_in_the_middle_of_the_listing(monkeypatch):
    with FreshdeskSandbox(tickets=5, seed=3, agents=230) as sb:
        fault_after_first_page(monkeypatch, sb, "/api/v2/agents", "429@/api/v2/agents")
        sleep = FakeSleep()
        client = FreshdeskHelpdesk(sb.url, sb.api_key, sleep=sleep)

        names = client.agent_names()

        assert len(names) == 230
        assert sleep.waits == [1.0]  # its Retry-After
        assert client.stats.rate_limited == 1
        assert reads(sb, "/api/v2/agents") == ["GET"] * 4


def test_freshdesk_stops_at_the_page_cap(monkeypatch):
    monkeypatch.setattr(freshdesk_ep, "NAMES_MAX_PAGES", 2)  # a paginator that never ends
    with FreshdeskSandbox(tickets=5, seed=3, agents=230) as sb:
        names = FreshdeskHelpdesk(sb.url, sb.api_key).agent_names()

        assert len(names) == 200
        assert reads(sb, "/api/v2/agents") == ["GET"] * 2
