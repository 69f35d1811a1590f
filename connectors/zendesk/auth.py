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

from connectors.errors import AuthError, ConnectionFailed, RateLimited, ServerError, Unreachable
from connectors.http import wrong_address
from connectors.zendesk.endpoints import OAUTH_TOKENS

RENEW_MARGIN_S = 60.0


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
    """OAuth client-credentials grant with renewal before expiry."""

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
    ) -> None:
        self._url = base_url.rstrip("/") + OAUTH_TOKENS
        self._client_id = client_id
        self._client_secret = client_secret
        self._session = session
        self._scope = scope
        self._expires_in = expires_in
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.tokens_obtained = 0

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

    def _obtain(self) -> None:
        body = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "scope": self._scope,
            "expires_in": self._expires_in,
        }
        try:
            response = self._session.post(self._url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            refused = None if self.tokens_obtained else wrong_address(exc)
            if refused:  # the first contact of a poll: a wrong URL, not an outage
                raise Unreachable(
                    f"Zendesk: nothing answers at the address in CARE_ZENDESK_URL ({refused}): "
                    "check CARE_ZENDESK_URL"
                ) from None
            raise ConnectionFailed(f"cannot reach {self._url}: {type(exc).__name__}") from None
        if response.status_code in (400, 401, 403):
            raise AuthError(
                f"Zendesk refused the OAuth client credentials ({_oauth_error(response)}): "
                f"check {self.describe}"
            )
        if response.status_code == 429:
            retry_after = float(response.headers.get("Retry-After") or 10)
            raise RateLimited("Zendesk token endpoint: 429 Too Many Requests", retry_after)
        if response.status_code >= 300:
            raise ServerError(f"Zendesk token endpoint answered {response.status_code}")
        payload = response.json()
        self._token = payload["access_token"]
        lifetime = float(payload.get("expires_in") or self._expires_in)
        self._expires_at = self._clock() + lifetime
        self.tokens_obtained += 1


def _oauth_error(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    return str(payload.get("error_description") or payload.get("error") or response.status_code)
