"""The three ways to authenticate to Zendesk, each naming the setting to fix when refused.

1. OAuth client credentials (the default since Zendesk stopped issuing API
   tokens on 2026-10-27): a bearer token from `POST /oauth/tokens`, renewed
   before it expires and once more whenever a request gets a 401.
2. A bearer token issued elsewhere, used as is.
3. Legacy `{email}/token:{api_token}` basic auth (deactivated on 2027-04-30).
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from connectors.base import RequestStats
from connectors.errors import AuthError, MalformedAnswer, RequestRejected
from connectors.http import HelpdeskHttp
from connectors.zendesk.endpoints import OAUTH_TOKENS

RENEW_MARGIN_S = 60.0
TOKEN_ATTEMPTS = 3
MIN_EXPIRES_IN_S, MAX_EXPIRES_IN_S = 300, 172_800  # exclusive bounds


@dataclass
class ApiToken:
    email: str
    token: str
    describe: str = "CARE_ZENDESK_EMAIL / CARE_ZENDESK_TOKEN (legacy API token)"

    def __repr__(self) -> str:  # never the token: reprs end up in logs and tracebacks
        return f"ApiToken(email={self.email!r}, token='**********')"

    def header(self) -> str:
        raw = f"{self.email}/token:{self.token}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def renew(self) -> bool:
        return False


@dataclass
class StaticBearer:
    token: str
    describe: str = "CARE_ZENDESK_OAUTH_TOKEN"

    def __repr__(self) -> str:
        return "StaticBearer(token='**********')"

    def header(self) -> str:
        return f"Bearer {self.token}"

    def renew(self) -> bool:
        return False


class ClientCredentials:
    """OAuth client-credentials grant with renewal before expiry.

    The token request goes through the same `HelpdeskHttp` as every other call: its
    retries, Retry-After (seconds or an HTTP-date) and budget, and a wrong URL named
    on first contact."""

    describe = "CARE_ZENDESK_CLIENT_ID / CARE_ZENDESK_CLIENT_SECRET (OAuth client)"

    def __repr__(self) -> str:  # neither the secret nor the bearer token it was given
        return f"ClientCredentials(client_id={self._client_id!r}, client_secret='**********')"

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        session: requests.Session,
        *,
        scope: str = "read write",
        expires_in: int = 3600,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # "Must be more than 300 seconds (5 minutes) and less than 172,800 seconds (2 days)":
        # https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/
        if not MIN_EXPIRES_IN_S < expires_in < MAX_EXPIRES_IN_S:
            raise ValueError(
                f"zendesk.oauth_token_lifetime_s must be more than {MIN_EXPIRES_IN_S} and less "
                f"than {MAX_EXPIRES_IN_S} seconds (Zendesk refuses others)"
            )
        self._base_url, self._session, self._timeout = base_url, session, timeout
        self._http = self._token_http(RequestStats(), sleep)
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._expires_in = expires_in
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def share(self, stats: RequestStats, sleep: Callable[[float], None]) -> None:
        """Count and wait with the connector: token requests in its stats, 429s and 5xx
        waited out with its sleep."""
        self._http = self._token_http(stats, sleep)

    def _token_http(self, stats: RequestStats, sleep: Callable[[float], None]) -> HelpdeskHttp:
        return HelpdeskHttp(
            "Zendesk",
            self._base_url,
            _NoCredential(self.describe),
            self._session,
            stats,
            timeout=self._timeout,
            max_attempts=TOKEN_ATTEMPTS,
            sleep=sleep,
        )

    def header(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - RENEW_MARGIN_S:
                self._obtain()
            return f"Bearer {self._token}"

    def renew(self) -> bool:
        with self._lock:
            self._token = None
            self._obtain()
        return True

    def forbidden_hint(self) -> str:
        """Why every call may answer 403 with a token just issued: Zendesk issues one even
        for a scope that grants nothing."""
        return (
            f"Zendesk issued a token for scope {self._scope!r} but refuses it this call: "
            "check the OAuth scope (CARE needs 'read write', and the OAuth client in Admin "
            "Center must allow it) and that the client belongs to an admin"
        )

    def _obtain(self) -> None:
        body = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "scope": self._scope,
            "expires_in": self._expires_in,
        }
        try:  # asking for a token twice harms nothing: retried like a read
            payload = self._http.request(
                "POST", OAUTH_TOKENS, json=body, kind="token_requests", idempotent=True
            )
        except (AuthError, RequestRejected) as exc:
            raise AuthError(
                f"Zendesk refused the OAuth client credentials ({_oauth_error(exc)}): "
                f"check {self.describe}"
            ) from None
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise MalformedAnswer("Zendesk's token endpoint answered without an access_token")
        try:
            lifetime = float(payload.get("expires_in") or self._expires_in)
        except (TypeError, ValueError):
            lifetime = float(self._expires_in)
        self._token = token
        self._expires_at = self._clock() + lifetime


class _NoCredential:
    """The token request itself carries no Authorization header (the client id and
    secret travel in its body)."""

    def __init__(self, describe: str) -> None:
        self.describe = describe

    def header(self) -> str:
        return ""

    def renew(self) -> bool:
        return False


def _oauth_error(exc: AuthError | RequestRejected) -> str:
    payload = exc.body
    if isinstance(payload, dict):
        return str(payload.get("error_description") or payload.get("error") or exc.status)
    return f"HTTP {exc.status}"
