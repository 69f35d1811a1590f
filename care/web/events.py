"""Product error events in (SPEC §4b), on the survey endpoint's app and headers.

    POST /events/sentry  a Sentry integration-platform webhook: Sentry-Hook-Resource,
                         Sentry-Hook-Timestamp, Sentry-Hook-Signature (hex HMAC-SHA256 of
                         the body with CARE_SENTRY_CLIENT_SECRET)
    POST /events/error   CARE's generic event: X-Care-Timestamp (Unix seconds) and
                         X-Care-Signature: sha256=<hex HMAC-SHA256 of timestamp "." body>
                         with CARE_EVENTS_SECRET

Answers, all JSON (`{"accepted": ..., ...}`), checked in this order; nothing is stored on
any 4xx:

    404  the route's secret is not configured: the route does not exist on this
         installation (nothing to tell a prober, nothing to misconfigure silently)
    413  body over MAX_EVENT_BYTES (256 KB); 408 when it stalls (both close the connection)
    401  signature missing, malformed or wrong; or the timestamp more than 5 minutes off
         (a replay). 401, not 403: the request failed to authenticate, and a correctly
         signed retry would be accepted. The reason is plain ("X-Care-Timestamp is 412 s
         old: ..."); a stale time is reported only once the signature matched.
    400  the body is not JSON, not an object, or an event of the wrong shape; a Sentry
         webhook without Sentry-Hook-Resource
    202  accepted: stored once per (source, event id) - `{"accepted": true, "duplicate":
         false}` the first time, `"duplicate": true` for a redelivery; a Sentry resource
         CARE does not act on (installation, comment, metric_alert, issue...) is
         `{"accepted": true, "ignored": "<why>"}` and nothing is stored.

The proactive-outreach flow acts on stored events later: this answers at once. Sentry's
`Sentry-Hook-Timestamp` is not covered by its signature, so refusing a stale one only
stops a naive replay; duplicates are harmless anyway (the event id is unique). Neither a
secret nor a signature is ever logged; addresses are masked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from care.domain.error_events import (
    BadEvent,
    ErrorEvent,
    from_generic,
    from_sentry,
    not_acted_on,
    stale,
    verify_generic,
    verify_sentry,
)
from care.settings.load import Settings
from care.settings.secrets import reveal
from care.store import Store
from care.web.forms import read_body
from care.web.pages import mask_email

log = logging.getLogger("care.web.events")

SENTRY_PATH: Final = "/events/sentry"
GENERIC_PATH: Final = "/events/error"
MAX_EVENT_BYTES: Final = 256 * 1024  # a Sentry event with its stack trace fits; 1 MB does not


def add_event_routes(
    app: FastAPI,
    settings: Settings,
    store: Store,
    clock: Callable[[], datetime],
    body_timeout_s: float,
) -> None:
    """Mount the routes whose secret is configured; without it a route answers 404."""
    intake = EventIntake(store, clock)
    sentry_secret = reveal(settings.sentry_client_secret)
    events_secret = reveal(settings.events_secret)

    if sentry_secret:

        @app.post(SENTRY_PATH)
        async def sentry_event(request: Request) -> JSONResponse:
            body = await _body(request, body_timeout_s)
            if isinstance(body, JSONResponse):
                return body
            h = request.headers
            return await run_in_threadpool(
                intake.sentry,
                body,
                h.get("sentry-hook-resource", ""),
                h.get("sentry-hook-timestamp", ""),
                h.get("sentry-hook-signature", ""),
                sentry_secret,
            )

    if events_secret:

        @app.post(GENERIC_PATH)
        async def generic_event(request: Request) -> JSONResponse:
            body = await _body(request, body_timeout_s)
            if isinstance(body, JSONResponse):
                return body
            h = request.headers
            return await run_in_threadpool(
                intake.generic,
                body,
                h.get("x-care-timestamp", ""),
                h.get("x-care-signature", ""),
                events_secret,
            )

    app.state.event_intake = intake


class EventIntake:
    """What each route does once the body is read, free of HTTP plumbing."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock

    def sentry(
        self, body: bytes, resource: str, timestamp: str, signature: str, secret: str
    ) -> JSONResponse:
        if not signature:
            return _unauthorised("sentry", "Sentry-Hook-Signature is missing")
        if not verify_sentry(body, signature, secret):
            return _unauthorised("sentry", "Sentry-Hook-Signature does not match the body")
        if timestamp and (why := stale(timestamp, self.clock(), "Sentry-Hook-Timestamp")):
            return _unauthorised("sentry", why)
        resource = resource.strip()
        if not resource:
            return _bad("sentry", "Sentry-Hook-Resource is missing")
        payload = _json(body)
        if isinstance(payload, JSONResponse):
            return payload
        try:
            event = from_sentry(resource, payload)
        except BadEvent as exc:
            return _bad("sentry", exc.reason)
        if event is None:
            why = not_acted_on(resource[:40])
            log.info("error event from sentry ignored: %s", why)
            return JSONResponse({"accepted": True, "ignored": why}, status_code=202)
        return self._record(event)

    def generic(self, body: bytes, timestamp: str, signature: str, secret: str) -> JSONResponse:
        why = verify_generic(body, timestamp, signature, secret, self.clock())
        if why:
            return _unauthorised("generic", why)
        payload = _json(body)
        if isinstance(payload, JSONResponse):
            return payload
        try:
            event = from_generic(payload)
        except BadEvent as exc:
            return _bad("generic", exc.reason)
        return self._record(event)

    def _record(self, event: ErrorEvent) -> JSONResponse:
        new = self.store.record_error_event(event, self.clock())
        log.info(
            "error event %s:%s %s (%s, customer %s)",
            event.source,
            event.event_id,
            "recorded" if new else "already recorded",
            event.fingerprint,
            mask_email(event.customer_email) if event.customer_email else "without e-mail",
        )
        return JSONResponse({"accepted": True, "duplicate": not new}, status_code=202)


async def _body(request: Request, timeout_s: float) -> bytes | JSONResponse:
    try:
        return await read_body(request, timeout_s, MAX_EVENT_BYTES, "error event")
    except HTTPException as exc:
        reason = {413: f"the body is over {MAX_EVENT_BYTES} bytes", 408: "the body stalled"}
        return JSONResponse(
            {"accepted": False, "error": reason.get(exc.status_code, "the body was not read")},
            status_code=exc.status_code,
            headers=exc.headers,
        )


def _json(body: bytes) -> Mapping[str, Any] | JSONResponse:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return _bad("", "the body is not JSON")
    if not isinstance(payload, dict):
        return _bad("", "the body is not a JSON object")
    return payload


def _unauthorised(source: str, why: str) -> JSONResponse:
    log.info("error event from %s refused: %s", source, why)
    header = "Sentry-Hook-Signature" if source == "sentry" else "X-Care-Signature"
    return JSONResponse(
        {"accepted": False, "error": why},
        status_code=401,
        headers={"WWW-Authenticate": f'HMAC-SHA256 header="{header}"'},
    )


def _bad(source: str, why: str) -> JSONResponse:
    log.info("error event%s refused: %s", f" from {source}" if source else "", why)
    return JSONResponse({"accepted": False, "error": why}, status_code=400)
