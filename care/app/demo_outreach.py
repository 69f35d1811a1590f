"""The demo's product error: a Sentry webhook for a customer, signed as Sentry signs it,
posted to the endpoint; the outreach run opens one ticket; the same event again changes
nothing (SPEC §4b)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import requests
from rich.console import Console

CUSTOMER = "dana@customer.example"


def reach_out_first(
    console: Console, base_url: str, secret: str, config: str, name: str, sandbox: Any
) -> None:
    from flows.outreach import proactive_outreach

    console.rule("Assist before the customer complains: a product error, reported by Sentry")
    body = json.dumps(_sentry_error(), separators=(",", ":")).encode()
    first = _post(base_url, secret, body)
    before = list(sandbox.created_tickets())
    opened = proactive_outreach(config=config)
    new = sandbox.created_tickets()[len(before) :]
    if not new:
        console.print(f"[red]no ticket was opened[/] (events: {dict(opened.outcomes)})")
        return
    ticket = sandbox.ticket(new[0])
    note = next((text for text in sandbox.note_texts(new[0]) if "[CARE]" in text), "")
    article = next((line.split(". ", 1)[1] for line in note.splitlines() if line[:3] == "1. "), "")
    console.print(
        f"Sentry → POST /events/sentry (HTTP {first.status_code}): {CUSTOMER} saw the checkout "
        f"fail. The outreach run opened {name} #{new[0]} for them, tagged "
        f"{', '.join(t for t in sorted(ticket['tags']) if t.startswith('care_'))}, with an "
        f"internal note for an agent" + (f" pointing at “{article}”." if article else ".")
    )
    again = _post(base_url, secret, body)
    rerun = proactive_outreach(config=config)
    duplicate = bool(again.json().get("duplicate")) if again.ok else False
    unchanged = sandbox.created_tickets()[len(before) :] == new
    console.print(
        f"The same event delivered again (HTTP {again.status_code}"
        + (", a duplicate" if duplicate else "")
        + f"): {rerun.opened} tickets opened"
        + (" — nothing changed." if unchanged and not rerun.opened else " — [red]changed[/].")
    )


def _post(base_url: str, secret: str, body: bytes) -> requests.Response:
    """As Sentry delivers it: the hex HMAC-SHA256 of the body with the client secret."""
    headers = {
        "Content-Type": "application/json",
        "Sentry-Hook-Resource": "error",
        "Sentry-Hook-Timestamp": str(int(time.time())),
        "Sentry-Hook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
        "Request-ID": str(uuid.uuid4()),
    }
    return requests.post(f"{base_url}/events/sentry", data=body, headers=headers, timeout=30)


def _sentry_error() -> dict[str, Any]:
    """An `error` webhook in the shape Sentry documents, trimmed to what matters here
    (https://docs.sentry.io/organization/integrations/integration-platform/webhooks/errors/)."""
    return {
        "action": "created",
        "installation": {"uuid": "7a485448-a9e2-4c85-8a3c-4f44175783c9"},
        "data": {
            "error": {
                "event_id": "d1a2c3b4e5f60718293a4b5c6d7e8f90",
                "issue_id": "1170820242",
                "title": "CheckoutError: Checking out fails with an error",
                "culprit": "checkout/pay",
                "datetime": datetime.now(UTC).isoformat(),
                "user": {"id": "dana-77", "email": CUSTOMER},
                "request": {"url": "https://shop.acme.example/checkout/pay"},
                "exception": {
                    "values": [
                        {"type": "CheckoutError", "value": "Checking out fails with an error"}
                    ]
                },
                "platform": "python",
            }
        },
        "actor": {"type": "application", "id": "sentry", "name": "Sentry"},
    }
