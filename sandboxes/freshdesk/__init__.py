"""A local Freshdesk API v2 sandbox for tests, the demo and benchmarks (see server.py)."""

from sandboxes.freshdesk.server import FreshdeskSandbox, serve_forever

__all__ = ["FreshdeskSandbox", "serve_forever"]
