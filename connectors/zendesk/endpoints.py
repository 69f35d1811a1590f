"""Zendesk Support API endpoints and limits, named once."""

from __future__ import annotations

OAUTH_TOKENS = "/oauth/tokens"
INCREMENTAL_TICKETS = "/api/v2/incremental/tickets/cursor"
TICKETS = "/api/v2/tickets"  # Create Ticket (POST); List Tickets by external_id (GET)
TICKET = "/api/v2/tickets/{id}"
SHOW_MANY = "/api/v2/tickets/show_many"
TICKET_COMMENTS = "/api/v2/tickets/{id}/comments"
UPDATE_MANY = "/api/v2/tickets/update_many"
JOB_STATUSES = "/api/v2/job_statuses/show_many"
RECENT_JOBS = "/api/v2/job_statuses"  # List Job Statuses: newest first, cursor-paginated
USERS_ME = "/api/v2/users/me"
GROUPS = "/api/v2/groups"
GROUPS_PAGE_SIZE = 100  # cursor pagination: page[size] up to 100
# List Users, filtered to the roles that can hold tickets: `role[]=agent&role[]=admin`
# ("Filters the results by more than one role using the format role[]={role}&role[]={role}"),
# cursor pagination, "a maximum of 100 records per page"; `include_boundary_indicators=true`
# "includes has_more indicator in the cursor pagination response meta":
# https://developer.zendesk.com/api-reference/ticketing/users/users/#list-users
USERS = "/api/v2/users"
USERS_PAGE_SIZE = 100
STAFF_ROLES = ("agent", "admin")  # light agents and custom roles have role "agent"
NAMES_MAX_PAGES = 50  # names lists stop here (5,000 rows): a paginator that never ends

EXPORT_PAGE_SIZE = 1000  # the incremental export's maximum per_page
EXPORT_SIDELOADS = "metric_sets,users"
# The export's default scope, "agent", leaves out tickets Zendesk AI agents handle: the
# ones CARE must watch most. "all" lists every ticket.
EXPORT_SCOPE = "all"
SHOW_MANY_MAX_IDS = 100
UPDATE_MANY_MAX_IDS = 100  # per bulk (?ids=) or batch ({"tickets": [...]}) call
EXPORT_MIN_AGE_S = 60  # start_time must be at least a minute in the past
JOB_STATUSES_MAX_IDS = 100
JOB_DONE_STATES = frozenset({"completed", "failed", "killed"})
