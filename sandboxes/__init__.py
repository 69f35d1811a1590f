"""Fake helpdesks on loopback for tests, the demo and benchmarks: Zendesk and Freshdesk.

Written from the vendors' docs, not from `connectors/`: they are the second opinion, so
they use the standard library only and never import `connectors/` (nor it them);
`lint-imports` (pyproject.toml, `[tool.importlinter]`) holds both directions.
"""
