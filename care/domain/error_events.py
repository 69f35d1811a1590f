"""Product error events (SPEC §4b): a Sentry webhook or CARE's generic event, read into one
`ErrorEvent`, and the signature checks of both. Pure: the caller passes the raw body, the
headers, the secret and `now`; nothing here reads a clock, the environment or the network.

Sentry integration-platform webhooks
(https://docs.sentry.io/organization/integrations/integration-platform/webhooks/):
`Sentry-Hook-Resource` names the resource; CARE acts on three of them

    error        data.error: the event (its `user` when the SDK set one)
                 https://docs.sentry.io/organization/integrations/integration-platform/webhooks/errors/
    event_alert  data.event: the event that triggered an issue alert rule
                 https://docs.sentry.io/organization/integrations/integration-platform/webhooks/issue-alerts/
    issue        data.issue: an issue has no user, so it names no customer: read, then
                 not acted on (`from_sentry` returns None)
                 https://docs.sentry.io/organization/integrations/integration-platform/webhooks/issues/

and on none of the others (`installation`, `comment`, `metric_alert`, ...).

`Sentry-Hook-Signature` is the hex HMAC-SHA256 of the request body keyed with the
integration's client secret. Sentry's server signs the exact string it sends
(`SentryApp.build_signature(body)` over the `json.dumps` it posts), so CARE checks the raw
bytes. The docs' own example recomputes it over `JSON.stringify(request.body)`, a compact
re-serialisation; `verify_sentry` accepts that form too, so a body that some proxy
re-encoded compactly is not refused when Sentry's example would accept it.

The generic event: `X-Care-Timestamp` (Unix seconds) and `X-Care-Signature:
sha256=<hex HMAC-SHA256 of timestamp + "." + raw body>` keyed with CARE_EVENTS_SECRET,
refused when the timestamp is more than `MAX_SKEW` off either way (a replay).

Every text is cleaned (`care.domain.text`: NUL, controls, lone surrogates, bidi
controls) and cut to a bounded length before it leaves this module.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from care.domain.text import clean_line, clean_text

Source = Literal["sentry", "generic"]

MAX_SKEW: Final = timedelta(minutes=5)
MAX_ID: Final = 200  # event ids, fingerprints, customer ids, error codes
MAX_TITLE: Final = 300
MAX_MESSAGE: Final = 4_000
MAX_URL: Final = 2_000
MAX_EMAIL: Final = 254  # RFC 5321's limit on a path

SENTRY_RESOURCES: Final = ("error", "event_alert", "issue")
"""The `Sentry-Hook-Resource` values `from_sentry` reads; the others are not acted on."""

_EMAIL: Final = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_UNIX_SECONDS: Final = re.compile(r"\d{1,12}(\.\d{1,9})?")


class BadEvent(ValueError):
    """A payload of the wrong shape; `reason` says what is wrong (no payload text in it
    beyond field names)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """One product error a customer ran into, from either source, cleaned and bounded."""

    source: Source
    event_id: str
    fingerprint: str  # Sentry: the issue id; generic: the error code (same error, same value)
    customer_email: str | None  # lower case, of a valid shape, else None
    customer_id: str | None
    title: str
    message: str
    url: str | None
    error_code: str | None
    occurred_at: datetime  # aware, UTC

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None or self.occurred_at.utcoffset() is None:
            raise ValueError("ErrorEvent.occurred_at must be an aware datetime")


# -- Sentry -------------------------------------------------------------------------


def from_sentry(resource: str, payload: Mapping[str, Any]) -> ErrorEvent | None:
    """The event of a Sentry webhook, or None for a resource CARE does not act on (see
    `not_acted_on`). Raises `BadEvent` for an `error`, `event_alert` or `issue` payload
    of the wrong shape."""
    if resource not in SENTRY_RESOURCES:
        return None
    data = _object(payload, "data")
    if resource == "issue":
        issue = _object(data, "issue", "data.issue")
        _required_id(issue, "id", "data.issue.id")
        return None  # an issue carries no user: nobody to reach out to
    key = "error" if resource == "error" else "event"
    return _sentry_event(_object(data, key, f"data.{key}"), f"data.{key}")


def not_acted_on(resource: str) -> str:
    """Why a Sentry webhook of this resource leads to nothing (for the log)."""
    if resource == "issue":
        return "a Sentry issue webhook names no customer (issues carry no user)"
    return f"Sentry resource {resource!r} is not an error event"


def _sentry_event(event: Mapping[str, Any], where: str) -> ErrorEvent:
    event_id = _required_id(event, "event_id", f"{where}.event_id")
    fingerprint = _optional_id(event, "issue_id", f"{where}.issue_id")
    if fingerprint is None:
        hashes = event.get("hashes")
        first = hashes[0] if isinstance(hashes, list) and hashes else None
        fingerprint = _id_value(first, f"{where}.hashes") if first is not None else None
    if fingerprint is None:
        raise BadEvent(f"{where} has neither issue_id nor hashes")
    user = event.get("user")
    user = user if isinstance(user, Mapping) else {}
    metadata = event.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    exception = _last_exception(event)
    error_code = _text(exception.get("type")) or _text(metadata.get("type"))
    message = (
        _text(exception.get("value"))
        or _text(metadata.get("value"))
        or _text(event.get("message"))
        or _text(event.get("title"))
    )
    title = _text(event.get("title")) or message or error_code or "Error"
    request = event.get("request")
    page = _text(request.get("url")) if isinstance(request, Mapping) else ""
    return ErrorEvent(
        source="sentry",
        event_id=event_id,
        fingerprint=fingerprint,
        customer_email=_email(user.get("email")),
        customer_id=_id_value(user["id"], f"{where}.user.id") if user.get("id") else None,
        title=clean_line(title, MAX_TITLE),
        message=clean_text(message, MAX_MESSAGE).strip(),
        url=clean_line(page, MAX_URL) or None,
        error_code=clean_line(error_code, MAX_ID) or None,
        occurred_at=_sentry_time(event, where),
    )


def _last_exception(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The outermost exception (Sentry lists a chain innermost first)."""
    exception = event.get("exception")
    values = exception.get("values") if isinstance(exception, Mapping) else None
    if isinstance(values, list) and values and isinstance(values[-1], Mapping):
        return values[-1]
    return {}


def _sentry_time(event: Mapping[str, Any], where: str) -> datetime:
    if isinstance(event.get("datetime"), str):
        return _iso_time(event["datetime"], f"{where}.datetime", assume_utc=True)
    stamp = event.get("timestamp")
    if isinstance(stamp, int | float) and not isinstance(stamp, bool) and math.isfinite(stamp):
        try:
            return datetime.fromtimestamp(stamp, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    raise BadEvent(f"{where} has no readable datetime or timestamp")


# -- the generic event ----------------------------------------------------------------


def from_generic(payload: Mapping[str, Any]) -> ErrorEvent:
    """CARE's generic error event:

        {"event_id": "...", "customer_email": "..." and/or "customer_id": "...",
         "url": "...", "error_code": "...", "message": "...", "title": "..." (optional),
         "occurred_at": "2026-12-06T10:00:00Z"}

    Raises `BadEvent` when a field has the wrong type, when there is neither customer
    e-mail nor id, neither error code nor message, or `occurred_at` is not ISO 8601 with
    a time zone."""
    if not isinstance(payload, Mapping):
        raise BadEvent("the event is not a JSON object")
    event_id = _required_id(payload, "event_id", "event_id")
    raw_email = _optional_str(payload, "customer_email")
    email = _email(raw_email)
    if raw_email and email is None:
        raise BadEvent("customer_email is not an e-mail address")
    customer_id = _optional_id(payload, "customer_id", "customer_id")
    if email is None and customer_id is None:
        raise BadEvent("the event names no customer: set customer_email or customer_id")
    error_code = clean_line(_optional_str(payload, "error_code") or "", MAX_ID) or None
    message = clean_text(_optional_str(payload, "message") or "", MAX_MESSAGE).strip()
    if error_code is None and not message:
        raise BadEvent("the event has neither error_code nor message")
    title = _optional_str(payload, "title") or error_code or message
    occurred_at = payload.get("occurred_at")
    if not isinstance(occurred_at, str):
        raise BadEvent("occurred_at is missing or not a string")
    return ErrorEvent(
        source="generic",
        event_id=event_id,
        fingerprint=error_code or clean_line(message, MAX_ID),
        customer_email=email,
        customer_id=customer_id,
        title=clean_line(title, MAX_TITLE),
        message=message,
        url=clean_line(_optional_str(payload, "url") or "", MAX_URL) or None,
        error_code=error_code,
        occurred_at=_iso_time(occurred_at, "occurred_at", assume_utc=False),
    )


# -- signatures ---------------------------------------------------------------------


def verify_sentry(body: bytes, signature: str, secret: str) -> bool:
    """True when `signature` (the `Sentry-Hook-Signature` header) is the hex HMAC-SHA256
    of `body` keyed with `secret`, or of the compact re-serialisation the docs' example
    computes (see the module docstring). Constant-time; False without a secret."""
    given = signature.strip().lower()
    if not secret or not _HEX64.fullmatch(given):
        return False
    key = secret.encode()
    if hmac.compare_digest(_hex_hmac(key, body), given):
        return True
    try:
        document = json.loads(body)
    except ValueError:
        return False
    compact = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return hmac.compare_digest(_hex_hmac(key, compact.encode("utf-8", "surrogatepass")), given)


def verify_generic(
    body: bytes, timestamp: str, signature: str, secret: str, now: datetime
) -> str | None:
    """None when the generic event's headers are valid for `body`, else why not:
    `X-Care-Signature` must be `sha256=<hex HMAC-SHA256 of timestamp + "." + body>` keyed
    with `secret`, and `X-Care-Timestamp` (Unix seconds) within `MAX_SKEW` of `now`. The
    signature is checked before the time, so only a holder of the secret learns that a
    request was stale."""
    if not secret:
        return "no secret is configured"
    if not timestamp:
        return "X-Care-Timestamp is missing"
    if not _UNIX_SECONDS.fullmatch(timestamp.strip()):
        return "X-Care-Timestamp is not Unix seconds"
    if not signature:
        return "X-Care-Signature is missing"
    scheme, _, given = signature.strip().partition("=")
    given = given.lower()
    if scheme.lower() != "sha256" or not _HEX64.fullmatch(given):
        return "X-Care-Signature is not sha256=<64 hex digits>"
    signed = timestamp.strip().encode() + b"." + body
    if not hmac.compare_digest(_hex_hmac(secret.encode(), signed), given):
        return "X-Care-Signature does not match the body"
    return stale(timestamp, now, "X-Care-Timestamp")


def stale(timestamp: str, now: datetime, header: str) -> str | None:
    """None when `timestamp` (Unix seconds) is within `MAX_SKEW` of `now`, else why not."""
    text = timestamp.strip()
    if not _UNIX_SECONDS.fullmatch(text):
        return f"{header} is not Unix seconds"
    off = float(text) - now.timestamp()
    if abs(off) > MAX_SKEW.total_seconds():
        when = "in the future" if off > 0 else "old"
        return f"{header} is {abs(off):.0f} s {when}: more than {MAX_SKEW.seconds} s off"
    return None


def _hex_hmac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# -- reading fields -------------------------------------------------------------------


def _object(parent: Mapping[str, Any], key: str, where: str | None = None) -> Mapping[str, Any]:
    if not isinstance(parent, Mapping):
        raise BadEvent("the payload is not a JSON object")
    value = parent.get(key)
    if not isinstance(value, Mapping):
        raise BadEvent(f"{where or key} is missing or not an object")
    return value


def _required_id(parent: Mapping[str, Any], key: str, where: str) -> str:
    found = _optional_id(parent, key, where)
    if found is None:
        raise BadEvent(f"{where} is missing or empty")
    return found


def _optional_id(parent: Mapping[str, Any], key: str, where: str) -> str | None:
    value = parent.get(key)
    return None if value is None else _id_value(value, where)


def _id_value(value: Any, where: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadEvent(f"{where} is not a string or an integer")
    return clean_line(str(value), MAX_ID) or None


def _optional_str(parent: Mapping[str, Any], key: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadEvent(f"{key} is not a string")
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _email(value: Any) -> str | None:
    """A lower-cased address of a plausible shape, else None."""
    if not isinstance(value, str):
        return None
    address = clean_line(value, MAX_EMAIL + 1).lower()
    if len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address):
        return None
    return address


def _iso_time(text: str, where: str, *, assume_utc: bool) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip()[:64])
    except ValueError:
        raise BadEvent(f"{where} is not an ISO 8601 time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        if not assume_utc:
            raise BadEvent(f"{where} has no time zone: add Z or an offset")
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
