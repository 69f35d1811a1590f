"""Open a ticket for a customer (proactive outreach).

Mode `reply`: `POST /api/v2/tickets/outbound_email`, which e-mails the customer from
the helpdesk's primary support address (`email_config_id`, from
`GET /api/v2/email_configs`). Mode `note`: `POST /api/v2/tickets` (its description is
shown as the requester's words, so it holds only the facts of the error) and the
guidance for the agents as a private note.
https://developers.freshdesk.com/api/#create_ticket
https://developers.freshdesk.com/api/#create_outbound_email
https://developers.freshdesk.com/api/#list_all_email_configs

Freshdesk keeps no external id: a creation whose answer was lost is found among the
customer's tickets (`GET /api/v2/tickets?email=...`): CARE's outreach tags, the contact's
subject, created since the intent was recorded, and not recorded for another contact.
"Since" allows for `CLOCK_ALLOWANCE` between this host's clock and Freshdesk's: a ticket
stamped by a Freshdesk clock running behind ours must still be found, or a second one
would be opened (the soak caught exactly that).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import NewTicket
from connectors.errors import MalformedRecord, OutcomeUnknown
from connectors.freshdesk import endpoints as ep
from connectors.freshdesk.writes import (
    LOST_GRACE_S,
    conversation_text,
    note_html,
    post_note_once,
)
from connectors.http import HelpdeskHttp
from connectors.timestamps import parse_time

OPEN, LOW = 2, 1  # status and priority codes
CLOCK_ALLOWANCE = timedelta(hours=1)


def create_ticket(http: HelpdeskHttp, new: NewTicket, email_config_id: int | None) -> str:
    fields: dict[str, Any] = {
        "email": new.requester_email,
        "subject": new.subject,
        "status": OPEN,
        "priority": LOW,
        "tags": sorted(new.tags),
    }
    if new.public:
        if email_config_id is None:
            raise MalformedRecord("Freshdesk has no active primary e-mail config to send from")
        path = ep.OUTBOUND_EMAIL
        fields |= {"description": note_html(new.body), "email_config_id": email_config_id}
    else:
        path, fields["description"] = ep.TICKETS, note_html(new.facts)
    try:
        answer = http.post(path, fields)
        ticket_id = answer.get("id") if isinstance(answer, dict) else None
        if ticket_id is None:
            raise MalformedRecord(f"POST {path} answered without a ticket id")
        ticket_id = str(ticket_id)
    except OutcomeUnknown as exc:
        if exc.timed_out:
            time.sleep(LOST_GRACE_S)
        found = find_created(http, new)
        if found is None:
            raise
        ticket_id = found
    if not new.public:
        _note_once(http, ticket_id, new.body)
    return ticket_id


def find_created(http: HelpdeskHttp, new: NewTicket) -> str | None:
    """The earliest of the customer's tickets that can be this contact's; see above."""
    since = (new.not_before - CLOCK_ALLOWANCE).replace(microsecond=0)
    params = {
        "email": new.requester_email,
        "updated_since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "order_by": "created_at",
        "order_type": "asc",
        "per_page": ep.PAGE_SIZE,
    }
    rows = http.get(ep.TICKETS, params)
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or str(row.get("id")) in new.taken:
            continue
        if not new.tags <= set(row.get("tags") or []):
            continue
        if _same_text(row.get("subject"), new.subject) and _created(row) >= since:
            return str(row["id"])
    return None


def primary_email_config(http: HelpdeskHttp) -> int | None:
    """The id of the active primary e-mail config: where outbound e-mail goes out from."""
    configs = http.get(ep.EMAIL_CONFIGS)
    active = [c for c in configs if isinstance(c, dict) and c.get("active", True)]
    primary = [c for c in active if c.get("primary_role")] or active
    return int(primary[0]["id"]) if primary else None


def _note_once(http: HelpdeskHttp, ticket_id: str, text: str) -> None:
    """The private note, once: an earlier, interrupted attempt may have posted it."""
    marker = text.strip().rsplit("\n", 1)[-1]  # the note's ref line
    if marker and marker in conversation_text(http, ticket_id):
        return
    post_note_once(http, ticket_id, text, private=True, marker=marker)


def _created(row: dict[str, Any]) -> datetime:
    try:
        return parse_time(row.get("created_at"), "created_at")
    except MalformedRecord:
        return datetime.min.replace(tzinfo=UTC)  # unreadable: not taken for ours


def _same_text(shown: Any, sent: str) -> bool:
    """A subject as Freshdesk shows it against the one CARE sent, blind to how whitespace
    and case were kept."""
    return (
        isinstance(shown, str)
        and " ".join(shown.split()).casefold() == " ".join(sent.split()).casefold()
    )
