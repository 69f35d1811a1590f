"""The names the report can show instead of ids, read from every configured helpdesk."""

from __future__ import annotations

from care.settings.load import load_settings
from sandboxes.zendesk import ZendeskSandbox
from sandboxes.zendesk.records import ADMIN_ID, AGENT_BASE
from tasks.report import helpdesk_names
from tasks.runtime import open_store
from tests.flows.environment import configure


def test_agent_and_group_names_come_keyed_by_helpdesk(database_url, tmp_path, monkeypatch):
    with ZendeskSandbox(tickets=5, seed=3) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        settings = load_settings()
        with open_store(settings) as store:
            names = helpdesk_names(settings, store)
        tokens = [r for r in sandbox.requests_log if r == ("POST", "/oauth/tokens")]
    agents, groups = names.agents, names.groups
    assert len(tokens) == 1  # one connector for both lists

    assert len(agents) == 13  # the admin and 12 agents
    assert agents[("zendesk", str(ADMIN_ID))] == "CARE Sandbox Admin"
    assert agents[("zendesk", str(AGENT_BASE))] == "Anna Adams"
    assert groups[("zendesk", "360001")] == "Support"
