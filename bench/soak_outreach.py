"""The proactive-outreach part of the soak (bench/soak.py): product errors arrive for a
small set of customers, `care run outreach` runs (also killed, also two at once on
PostgreSQL) while the sandbox fails on the ticket-creation paths, and at the end every
decided contact has exactly one ticket.

The events are written to the store as the intake writes them (`Store.record_error_event`);
the intake itself (signatures, replays, concurrent writers) is tested in tests/events/.

Checks, after the clean runs at the end:
  lost        a contact still waiting for its ticket, an event never judged, a recorded
              ticket id the helpdesk does not have
  duplicated  an outreach ticket the store does not know (a second one for a contact),
              one ticket recorded for two contacts, two contacts for one customer and
              error, a guidance note posted twice
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from care.domain.error_events import ErrorEvent
from care.domain.notes import refs_in
from care.store import Store

OUTREACH_TAG = "care_outreach"
FINGERPRINTS = {
    "4512": ("Checkout failed: PaymentError", "https://app.acme.test/checkout/pay"),
    "4513": ("Export failed: TimeoutError", "https://app.acme.test/reports/export"),
    "4514": ("Login failed: SessionExpired", "https://app.acme.test/login"),
}
# The faults aimed at the outreach run's requests: creation, the lookup after a lost
# answer, Freshdesk's e-mail configs and its note on a new ticket.
CREATE_PATHS = {
    "zendesk": ["/api/v2/tickets"],
    "freshdesk": ["/api/v2/tickets", "/api/v2/tickets/outbound_email", "/api/v2/email_configs"],
}


CREATIONS = {  # the requests that open a ticket
    "zendesk": {("POST", "/api/v2/tickets")},
    "freshdesk": {("POST", "/api/v2/tickets"), ("POST", "/api/v2/tickets/outbound_email")},
}


def creations(sandbox: Any, vendor: str) -> int:
    return sum(1 for request in sandbox.requests_log if request in CREATIONS[vendor])


def outreach_config(rng: random.Random) -> str:
    """A run's `[rules.proactive_outreach]`: either mode; a cooldown of 0 lets one customer
    have a contact per error, which is what makes a lost answer's lookup ambiguous."""
    mode = rng.choice(["note", "reply"])
    cooldown = rng.choice([0, 7])
    return f'[rules.proactive_outreach]\nmode = "{mode}"\ncooldown_days = {cooldown}\n'


def errors_happen(rng: random.Random, store_url: str, seed: int, customers: int = 6) -> int:
    """A burst of error events: a few customers meet a few errors, some repeatedly, some
    events naming no customer. Returns how many were stored."""
    now = datetime.now(UTC)
    count = rng.randint(2, 10)
    with Store.open(store_url) as store:
        for n in range(count):
            fingerprint = rng.choice(sorted(FINGERPRINTS))
            title, url = FINGERPRINTS[fingerprint]
            who = rng.randrange(customers + 1)
            event = ErrorEvent(
                source="sentry",
                event_id=f"{seed}-{now.timestamp():.6f}-{n}",
                fingerprint=fingerprint,
                customer_email=None if who == customers else f"customer{who}.{seed}@example.com",
                customer_id=None,
                title=title,
                message=f"{title} for the customer",
                url=url,
                error_code=fingerprint,
                occurred_at=now - timedelta(seconds=rng.randint(0, 300)),
            )
            store.record_error_event(event, now)
    return count


def claims_go_stale(conn: Any, long_ago: datetime) -> None:
    """A killed outreach run's claims, as ten minutes later."""
    conn.execute(
        text("UPDATE outreach SET claimed_at = :t WHERE state = 'intended'"), {"t": long_ago}
    )
    conn.execute(
        text("UPDATE error_events SET claimed_at = :t WHERE state = 'new'"), {"t": long_ago}
    )


def unsettled(conn: Any) -> int:
    return conn.execute(
        text(
            "SELECT (SELECT count(*) FROM outreach WHERE state = 'intended') "
            "+ (SELECT count(*) FROM error_events WHERE state = 'new')"
        )
    ).scalar_one()


def in_hand(store_url: str) -> bool:
    """Whether a (killed) run left claimed events or contacts without their tickets: the
    kill landed inside the window the recovery exists for."""
    engine = create_engine(store_url)
    with engine.connect() as conn:
        count = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM outreach WHERE state = 'intended') + (SELECT "
                "count(*) FROM error_events WHERE state = 'new' AND claim_token IS NOT NULL)"
            )
        ).scalar_one()
    engine.dispose()
    return count > 0


def check_outreach(outcome: Any, sandbox: Any, vendor: str, store_url: str) -> None:
    """Exactly one ticket per decided contact; see the module's docstring."""
    engine = create_engine(store_url)
    with engine.connect() as conn:
        contacts = conn.execute(
            text(
                "SELECT key, customer_email, fingerprint, state, ticket_id, subject, public "
                "FROM outreach ORDER BY id"
            )
        ).all()
        waiting = conn.execute(
            text("SELECT count(*) FROM error_events WHERE state = 'new'")
        ).scalar_one()
    engine.dispose()
    outcome.contacts += len(contacts)
    problems = outcome.problems
    if waiting:
        outcome.lost += waiting
        problems.append(f"{waiting} error events never judged")
    recorded: Counter[str] = Counter()
    per_error = Counter((c.customer_email, c.fingerprint) for c in contacts)
    for (email, fingerprint), n in per_error.items():
        if n > 1:
            outcome.duplicated += n - 1
            problems.append(f"{email} contacted {n} times about error {fingerprint}")
    for contact in contacts:
        if contact.state != "opened":
            outcome.lost += 1
            problems.append(f"contact {contact.key[:10]} still {contact.state}")
            continue
        recorded[contact.ticket_id] += 1
        try:
            ticket = sandbox.ticket(int(contact.ticket_id))
        except KeyError:
            outcome.lost += 1
            problems.append(f"contact {contact.key[:10]}: ticket {contact.ticket_id} not there")
            continue
        if ticket.get("subject") != contact.subject:
            outcome.lost += 1
            problems.append(
                f"contact {contact.key[:10]} ({contact.fingerprint}) recorded with ticket "
                f"{contact.ticket_id}, whose subject is {ticket.get('subject')!r}"
            )
        if not contact.public:
            guidance = _guidance_refs(sandbox, vendor, int(contact.ticket_id))
            for ref, n in guidance.items():
                if n > 1:
                    outcome.duplicated += n - 1
                    problems.append(f"ticket {contact.ticket_id}: guidance note {ref} {n} times")
    for ticket_id, n in recorded.items():
        if n > 1:
            outcome.duplicated += n - 1
            problems.append(f"ticket {ticket_id} recorded for {n} contacts")
    created = [t for t in sandbox.created_tickets() if _is_outreach(sandbox, t)]
    outcome.outreach_tickets += len(created)
    for ticket_id in created:
        if str(ticket_id) not in recorded:
            outcome.duplicated += 1
            problems.append(f"outreach ticket {ticket_id} opened but recorded for no contact")


def _is_outreach(sandbox: Any, ticket_id: int) -> bool:
    return OUTREACH_TAG in sandbox.ticket(ticket_id).get("tags", [])


def _guidance_refs(sandbox: Any, vendor: str, ticket_id: int) -> Counter[str]:
    if vendor == "zendesk":
        bodies = [c["body"] for c in sandbox.comments(ticket_id) if not c.get("public")]
    else:
        bodies = [n.get("body_text") or n.get("body") or "" for n in sandbox.notes(ticket_id)]
    return Counter(ref for body in bodies if "Reach out first" in body for ref in refs_in(body))


def write_config(path: Path, rng: random.Random) -> None:
    path.write_text(path.read_text() + outreach_config(rng))
