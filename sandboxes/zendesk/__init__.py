"""A local Zendesk Support API sandbox for tests, the demo and benchmarks (see server.py)."""

from sandboxes.zendesk.seed import SCENARIOS, Scenario
from sandboxes.zendesk.server import ZendeskSandbox, serve_forever

__all__ = ["SCENARIOS", "Scenario", "ZendeskSandbox", "serve_forever"]
