"""Freshdesk API v2: mapping (connector and sandbox to come, issue 4)."""
