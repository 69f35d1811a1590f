"""Real signatures, made the way each sender makes them."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SENTRY_SECRET = "c0ffee" * 10 + "abcd"  # a client secret is 64 hex digits
EVENTS_SECRET = "events-signing-key-0123456789abcdef"


def sentry_body(payload: dict[str, Any]) -> bytes:
    """The body as Sentry's server sends it (`json.dumps`, then signed as is)."""
    return json.dumps(payload).encode()


def sentry_signature(body: bytes, secret: str = SENTRY_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def care_signature(body: bytes, timestamp: str, secret: str = EVENTS_SECRET) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()
