"""Connector errors: the type carries the retry policy and says who must act.

HelpdeskError
├── Transient              retry with backoff (the system will recover)
│   ├── RateLimited        429: wait Retry-After seconds
│   ├── ServerError        5xx
│   └── ConnectionFailed   no answer at all
└── Final                  never retried (a person must act)
    ├── Unreachable        no helpdesk at that address: refused or unknown host, before
    │                      it ever answered (a wrong URL, not an outage)
    ├── AuthError          401/403: a credential is wrong or lacks rights
    ├── NotFound           404
    └── RequestRejected    400/409/422: the request itself is wrong
"""

from __future__ import annotations


class HelpdeskError(Exception):
    """Base of every error a connector raises."""


class Transient(HelpdeskError):
    """Worth retrying: the same request may succeed later."""

    retry_after: float | None = None


class RateLimited(Transient):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(Transient):
    pass


class ConnectionFailed(Transient):
    pass


class Final(HelpdeskError):
    """Retrying cannot help."""


class Unreachable(Final):
    """A configuration problem: the message names the URL setting to fix."""


class AuthError(Final):
    """A configuration problem: the message names the credential to fix."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class NotFound(Final):
    pass


class RequestRejected(Final):
    def __init__(self, message: str, status: int, body: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class MalformedRecord(HelpdeskError):
    """One record from the helpdesk could not be understood; skip it and go on."""
