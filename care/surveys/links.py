"""Signed answer links: nobody can answer, or unsubscribe, for someone else's ticket.

A token is `<payload>.<signature>`, both URL-safe base64 without padding:

    payload   = JSON [version, helpdesk, ticket_id, requester_email, answer, expires_unix]
    signature = HMAC-SHA256(secret, "care-survey-link." + payload text)

The signature covers the payload *text*, and the signature is compared as text
in constant time, so any changed character of a token is detected. The payload
is signed, not encrypted: it carries the requester's own address, which only
they (and whoever they forward the mail to) see.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal, cast, get_args

Answer = Literal["solved", "unsolved", "unsubscribe"]
ANSWERS: Final[tuple[str, ...]] = get_args(Answer)

ANSWER_PATH: Final = "/s/"  # the web endpoint's route for "solved"/"unsolved" tokens
UNSUBSCRIBE_PATH: Final = "/unsubscribe/"  # ... and for "unsubscribe" tokens (GET and POST)

_VERSION: Final = 1
_DOMAIN: Final = b"care-survey-link."  # keeps these MACs apart from any other use of the key
_MAX_TOKEN_LENGTH: Final = 2048
_TOKEN_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class InvalidToken(ValueError):
    """The token cannot be trusted. `reason` is "malformed", "tampered" or "expired".

    "tampered" means the signature does not match: the token was altered or was
    signed with another secret.
    """

    def __init__(self, reason: Literal["malformed", "tampered", "expired"]) -> None:
        super().__init__(f"invalid survey token: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SurveyClaim:
    """What a verified token vouches for."""

    helpdesk: str
    ticket_id: str
    requester_email: str
    answer: Answer
    expires_at: datetime


def sign(
    secret: str,
    helpdesk: str,
    ticket_id: str,
    requester_email: str,
    answer: Answer,
    expires_at: datetime,
) -> str:
    """A token for one answer to one ticket's survey, valid until `expires_at` (whole seconds)."""
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {', '.join(ANSWERS)}; got {answer!r}")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    payload = [_VERSION, helpdesk, ticket_id, requester_email, answer, int(expires_at.timestamp())]
    text = _b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{text}.{_signature(secret, text)}"


def verify(secret: str, token: str, now: datetime, *, allow_expired: bool = False) -> SurveyClaim:
    """The claim of a token signed with `secret`, or `InvalidToken` saying why not.

    `allow_expired` accepts an authentic token past its expiry (unsubscribe links:
    someone asking for no more mail is never told their link is too old).
    """
    if len(token) > _MAX_TOKEN_LENGTH or not _TOKEN_SHAPE.fullmatch(token):
        raise InvalidToken("malformed")
    text, signature = token.split(".")
    if not hmac.compare_digest(_signature(secret, text).encode(), signature.encode()):
        raise InvalidToken("tampered")
    claim = _parse(text)  # signed by us, so only a different token version fails here
    if now >= claim.expires_at and not allow_expired:
        raise InvalidToken("expired")
    return claim


def answer_url(base_url: str, token: str) -> str:
    """The absolute link for a token: `{base}/s/{token}`, or `{base}/unsubscribe/{token}`.

    The route follows the answer inside the token (read, not verified: the web
    endpoint verifies, and must check that the claim's answer fits the route).
    """
    base = base_url.strip().rstrip("/")
    if not re.match(r"https?://[^/\s]+", base):
        raise ValueError(
            f"survey base URL must be absolute (http:// or https://), got {base_url!r}: "
            "set CARE_SURVEY_BASE_URL"
        )
    path = UNSUBSCRIBE_PATH if _peek_answer(token) == "unsubscribe" else ANSWER_PATH
    return f"{base}{path}{token}"


def _signature(secret: str, text: str) -> str:
    if not secret:
        raise ValueError("the survey signing secret is empty: set CARE_SURVEY_SECRET")
    mac = hmac.new(secret.encode(), _DOMAIN + text.encode(), hashlib.sha256)
    return _b64encode(mac.digest())


def _parse(text: str) -> SurveyClaim:
    try:
        fields = json.loads(_b64decode(text))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidToken("malformed") from None
    if not (isinstance(fields, list) and len(fields) == 6 and fields[0] == _VERSION):
        raise InvalidToken("malformed")
    _, helpdesk, ticket_id, email, answer, expires = fields
    strings_ok = all(isinstance(value, str) for value in (helpdesk, ticket_id, email))
    if not strings_ok or answer not in ANSWERS or type(expires) is not int:
        raise InvalidToken("malformed")
    try:
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidToken("malformed") from None
    return SurveyClaim(helpdesk, ticket_id, email, cast(Answer, answer), expires_at)


def _peek_answer(token: str) -> str | None:
    try:
        fields = json.loads(_b64decode(token.split(".", 1)[0]))
        return fields[4] if isinstance(fields, list) and len(fields) == 6 else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)
