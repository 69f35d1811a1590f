"""Freshdesk API v2 endpoints and limits, named once."""

from __future__ import annotations

TICKETS = "/api/v2/tickets"
OUTBOUND_EMAIL = "/api/v2/tickets/outbound_email"
EMAIL_CONFIGS = "/api/v2/email_configs"
TICKET = "/api/v2/tickets/{id}"
CONVERSATIONS = "/api/v2/tickets/{id}/conversations"
NOTES = "/api/v2/tickets/{id}/notes"
CONTACT = "/api/v2/contacts/{id}"
BULK_UPDATE = "/api/v2/tickets/bulk_update"
JOB = "/api/v2/jobs/{id}"
AGENTS_ME = "/api/v2/agents/me"
GROUPS = "/api/v2/groups"
GROUPS_PAGE_SIZE = 100
# List All Agents: `page`/`per_page` (max 100, default 30), the name in `contact.name`:
# https://developers.freshdesk.com/api/#list_all_agents
AGENTS = "/api/v2/agents"
AGENTS_PAGE_SIZE = 100
NAMES_MAX_PAGES = 50  # names lists stop here (5,000 rows): a paginator that never ends

PAGE_SIZE = 100  # the list endpoint's maximum per_page
PAGE_LIMIT = 300  # "You cannot access tickets beyond the 300th page"
# +2 credits each: a list call costs 7. The description feeds the FAQ matcher; without
# it the list carries only the subject.
LIST_INCLUDES = "requester,stats,description"
LIST_CREDITS = 1 + 2 * len(LIST_INCLUDES.split(","))  # the costliest request we make
CONVERSATION_PAGE_SIZE = 100
REPLY_SOURCE = 0  # conversation source: 0 reply, 2 note
