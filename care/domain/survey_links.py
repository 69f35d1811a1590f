"""Signed answer links: nobody can answer, or unsubscribe, for someone else's ticket.

A token is `<payload>.<signature>`, both URL-safe base64 without padding. The
payload is packed bytes, not text:

    version 2 | answer | expires (unix s) | outbox id | link nonce (16 bytes)
              | helpdesk | ticket id                 (the last two length-prefixed ASCII)
    signature = HMAC-SHA256(secret, "care-survey-link.v2." + payload text)

It carries no personal data: links end up in proxy access logs and forwarded
mail. The outbox id and the nonce bind the token to one survey row; the web
endpoint honours it only when that row is `sent` and holds the same nonce and
ticket, so even someone who knows the secret cannot answer a survey they never
received. Ticket ids must have their helpdesk's id format: a comma-separated
list, say, would address several tickets at once.

Tokens of the first format (JSON with the requester's address) are still read
for as long as mailed ones live: see `care.domain.legacy_links`.
"""

from __future__ import annotations

import binascii
import hmac
import re
import struct
from datetime import UTC, datetime
from typing import Final

from care.domain.legacy_links import peek_legacy_answer, verify_legacy
from care.domain.link_tokens import (
    ANSWERS,
    Answer,
    InvalidToken,
    SurveyClaim,
    SurveyRef,
    b64decode,
    b64encode,
    signature,
)

__all__ = [
    "ANSWERS",
    "ANSWER_PATH",
    "UNSUBSCRIBE_PATH",
    "Answer",
    "InvalidToken",
    "SurveyClaim",
    "SurveyRef",
    "answer_url",
    "sign",
    "valid_ticket_id",
    "verify",
]

ANSWER_PATH: Final = "/s/"  # the web endpoint's route for "solved"/"unsolved" tokens
UNSUBSCRIBE_PATH: Final = "/unsubscribe/"  # ... and for "unsubscribe" tokens (GET and POST)

# Zendesk and Freshdesk number their tickets: anything else is not a ticket id.
TICKET_ID_FORMATS: Final = {
    "zendesk": re.compile(r"[1-9][0-9]{0,19}"),
    "freshdesk": re.compile(r"[1-9][0-9]{0,19}"),
}

_VERSION: Final = 2
_DOMAIN: Final = b"care-survey-link.v2."  # keeps these MACs apart from any other use of the key
_HEAD: Final = struct.Struct(">BBQQ16s")  # version, answer, expires, outbox id, nonce
_MAX_TOKEN_LENGTH: Final = 2048
_TOKEN_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_NONCE_SHAPE: Final = re.compile(r"[0-9a-f]{32}")


def valid_ticket_id(helpdesk: str, ticket_id: str) -> bool:
    """Whether `ticket_id` has the id format of `helpdesk` (a helpdesk CARE knows)."""
    shape = TICKET_ID_FORMATS.get(helpdesk)
    return shape is not None and shape.fullmatch(ticket_id) is not None


def sign(secret: str, survey: SurveyRef, answer: Answer, expires_at: datetime) -> str:
    """A token for one answer to one sent survey, valid until `expires_at` (whole seconds)."""
    if answer not in ANSWERS:
        raise ValueError(f"answer must be one of {', '.join(ANSWERS)}; got {answer!r}")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    if not valid_ticket_id(survey.helpdesk, survey.ticket_id):
        raise ValueError(f"{survey.ticket_id!r} is not a {survey.helpdesk} ticket id")
    if not _NONCE_SHAPE.fullmatch(survey.nonce):
        raise ValueError(f"survey {survey.survey_id} has no valid link nonce")
    head = _HEAD.pack(
        _VERSION,
        ANSWERS.index(answer),
        int(expires_at.timestamp()),
        survey.survey_id,
        bytes.fromhex(survey.nonce),
    )
    payload = head + _short(survey.helpdesk) + _short(survey.ticket_id)
    text = b64encode(payload)
    return f"{text}.{signature(secret, _DOMAIN, text)}"


def verify(secret: str, token: str, now: datetime, *, allow_expired: bool = False) -> SurveyClaim:
    """The claim of a token signed with `secret`, or `InvalidToken` saying why not.

    `allow_expired` accepts an authentic token past its expiry (unsubscribe links:
    someone asking for no more mail is never told their link is too old). The
    caller must still check the claim against the outbox.
    """
    if len(token) > _MAX_TOKEN_LENGTH or not _TOKEN_SHAPE.fullmatch(token):
        raise InvalidToken("malformed")
    text, mac = token.split(".")
    payload = _decode(text)
    if payload[:1] == b"[":  # JSON: the first format
        claim = verify_legacy(secret, text, mac, payload)
    else:
        if not hmac.compare_digest(signature(secret, _DOMAIN, text).encode(), mac.encode()):
            raise InvalidToken("tampered")
        claim = _parse(payload)  # signed by us, so only a different token version fails here
    if not valid_ticket_id(claim.helpdesk, claim.ticket_id):
        raise InvalidToken("malformed")
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


def _parse(payload: bytes) -> SurveyClaim:
    try:
        version, answer, expires, survey_id, nonce = _HEAD.unpack_from(payload)
        helpdesk, rest = _take_short(payload[_HEAD.size :])
        ticket_id, rest = _take_short(rest)
        expires_at = datetime.fromtimestamp(expires, UTC)
    except (struct.error, UnicodeDecodeError, OverflowError, OSError, ValueError):
        raise InvalidToken("malformed") from None
    # Outbox ids are signed 64-bit in the database: a larger one would be its error, not ours.
    if version != _VERSION or answer >= len(ANSWERS) or rest or survey_id >= 2**63:
        raise InvalidToken("malformed")
    survey = SurveyRef(survey_id, helpdesk, ticket_id, nonce.hex())
    return SurveyClaim(helpdesk, ticket_id, ANSWERS[answer], expires_at, survey)


def _peek_answer(token: str) -> str | None:
    try:
        payload = _decode(token.split(".", 1)[0])
    except InvalidToken:
        return None
    if payload[:1] == b"[":
        return peek_legacy_answer(payload)
    if len(payload) > 1 and payload[0] == _VERSION and payload[1] < len(ANSWERS):
        return ANSWERS[payload[1]]
    return None


def _short(text: str) -> bytes:
    data = text.encode("ascii")
    if len(data) > 255:
        raise ValueError(f"{text[:20]!r}… is too long for a survey link")
    return bytes([len(data)]) + data


def _take_short(data: bytes) -> tuple[str, bytes]:
    if not data or len(data) < 1 + data[0]:
        raise ValueError("cut short")
    end = 1 + data[0]
    return data[1:end].decode("ascii"), data[end:]


def _decode(text: str) -> bytes:
    try:
        return b64decode(text)
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed") from None
