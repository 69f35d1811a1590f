"""CARE pipelines: the domain (ticket model, rules, policy, store, templates, CLI)."""

__version__ = "0.1.0"
