"""Open a ticket for a customer (proactive outreach): `POST /api/v2/tickets`.

The first comment is authored by the agent behind the credential (`author_id`), public
(a reply Zendesk e-mails to the requester, as for any agent reply) or private (a note
for the agents). The outreach key is the ticket's `external_id`, so a creation whose
answer was lost is found with `GET /api/v2/tickets?external_id=...` before it could be
sent twice.
https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket
https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#list-tickets
"""

from __future__ import annotations

import time

from connectors.base import NewTicket
from connectors.errors import MalformedRecord, OutcomeUnknown
from connectors.http import HelpdeskHttp
from connectors.zendesk import endpoints as ep

LOST_GRACE_S = 2.0  # a request that timed out may still land: wait before looking


def create_ticket(http: HelpdeskHttp, new: NewTicket, author_id: str) -> str:
    body = {
        "ticket": {
            "subject": new.subject,
            "comment": {"body": new.body, "public": new.public, "author_id": int(author_id)},
            # A requester Zendesk does not know yet is created; it needs a name.
            "requester": {"email": new.requester_email, "name": _name(new.requester_email)},
            "tags": sorted(new.tags),
            "external_id": new.key,
        }
    }
    try:
        answer = http.post(ep.TICKETS, body)
    except OutcomeUnknown as exc:
        if exc.timed_out:
            time.sleep(LOST_GRACE_S)
        found = find_created(http, new)
        if found is None:
            raise
        return found
    ticket = answer.get("ticket") if isinstance(answer, dict) else None
    if not isinstance(ticket, dict) or ticket.get("id") is None:
        raise MalformedRecord(f"POST {ep.TICKETS} answered without a ticket id")
    return str(ticket["id"])


def find_created(http: HelpdeskHttp, new: NewTicket) -> str | None:
    body = http.get(ep.TICKETS, {"external_id": new.key})
    for ticket in body.get("tickets") or []:
        if isinstance(ticket, dict) and ticket.get("external_id") == new.key:
            return str(ticket["id"])
    return None


def _name(email: str) -> str:
    return email.split("@", 1)[0] or email
