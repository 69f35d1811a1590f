"""Survey links of the first token format, still in mailboxes: read them until they expire.

    payload   = base64 of JSON [1, helpdesk, ticket_id, requester_email, answer, expires_unix]
    signature = HMAC-SHA256(secret, "care-survey-link." + payload text)

That format carries the requester's address and is bound to no outbox row, so the
endpoint honours such a link only for a survey that was sent before migration 0007
(a sent row without `link_nonce`) to that same address. No new link is made in it,
except the "other answer" link on the page a first-format link opens.

Remove this module, and the lines that call it (grep `legacy_links`), 30 days
(LINK_VALIDITY) after every deployment runs migration 0007: by then every link
mailed in this format has expired. Unsubscribe links never expire, so an old one
will then get the "not valid" page; the customer can use the next e-mail's.
"""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import Any, Final, cast

from care.domain.link_tokens import (
    ANSWERS,
    Answer,
    InvalidToken,
    SurveyClaim,
    b64encode,
    signature,
)

_VERSION: Final = 1
_DOMAIN: Final = b"care-survey-link."


def verify_legacy(secret: str, text: str, mac: str, payload: bytes) -> SurveyClaim:
    """The claim of a first-format token (`text.mac`, `payload` = `text` decoded)."""
    if not hmac.compare_digest(signature(secret, _DOMAIN, text).encode(), mac.encode()):
        raise InvalidToken("tampered")
    fields = _fields(payload)
    if fields is None:
        raise InvalidToken("malformed")
    _, helpdesk, ticket_id, email, answer, expires = fields
    strings_ok = all(isinstance(value, str) for value in (helpdesk, ticket_id, email))
    if not strings_ok or answer not in ANSWERS or type(expires) is not int:
        raise InvalidToken("malformed")
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidToken("malformed") from None
    return SurveyClaim(helpdesk, ticket_id, cast(Answer, answer), expires_at, requester_email=email)


def sign_legacy(
    secret: str,
    helpdesk: str,
    ticket_id: str,
    requester_email: str,
    answer: Answer,
    expires_at: datetime,
) -> str:
    """A first-format token (the other answer's link of a first-format page; tests)."""
    payload = [_VERSION, helpdesk, ticket_id, requester_email, answer, int(expires_at.timestamp())]
    text = b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{text}.{signature(secret, _DOMAIN, text)}"


def peek_legacy_answer(payload: bytes) -> str | None:
    fields = _fields(payload)
    return fields[4] if fields is not None and isinstance(fields[4], str) else None


def _fields(payload: bytes) -> list[Any] | None:
    try:
        fields = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(fields, list) and len(fields) == 6 and fields[0] == _VERSION:
        return fields
    return None
