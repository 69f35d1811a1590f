"""What both survey link formats share: the answers, the claim a verified token makes,
its failure, and the keyed signature and base64 they are written with
(`care.domain.survey_links`, the current format; `care.domain.legacy_links`, the first)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args

Answer = Literal["solved", "unsolved", "unsubscribe"]
ANSWERS: Final[tuple[Answer, ...]] = get_args(Answer)


class InvalidToken(ValueError):
    """The token cannot be trusted. `reason` is "malformed", "tampered" or "expired".

    "tampered" means the signature does not match: the token was altered or was
    signed with another secret.
    """

    def __init__(self, reason: Literal["malformed", "tampered", "expired"]) -> None:
        super().__init__(f"invalid survey token: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SurveyRef:
    """The survey a link answers: its outbox row id, ticket, and the row's `link_nonce`."""

    survey_id: int
    helpdesk: str
    ticket_id: str
    nonce: str  # 32 lower-case hex digits


@dataclass(frozen=True, slots=True)
class SurveyClaim:
    """What a verified token vouches for; the outbox row must still agree (see above).

    `survey` is None for a token of the first format, which names the requester's
    address instead (`requester_email`).
    """

    helpdesk: str
    ticket_id: str
    answer: Answer
    expires_at: datetime
    survey: SurveyRef | None = None
    requester_email: str | None = None


def signature(secret: str, domain: bytes, text: str) -> str:
    """HMAC-SHA256 of `domain + text` under `secret`, URL-safe base64."""
    if not secret:
        raise ValueError("the survey signing secret is empty: set CARE_SURVEY_SECRET")
    mac = hmac.new(secret.encode(), domain + text.encode(), hashlib.sha256)
    return b64encode(mac.digest())


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded, altchars=b"-_", validate=True)
