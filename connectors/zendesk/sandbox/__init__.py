"""A local Zendesk Support API sandbox for tests, the demo and benchmarks (see server.py)."""

from connectors.zendesk.sandbox.seed import SCENARIOS, Scenario
from connectors.zendesk.sandbox.server import ZendeskSandbox, serve_forever

__all__ = ["SCENARIOS", "Scenario", "ZendeskSandbox", "serve_forever"]
