"""Connector errors: the type carries the retry policy and says who must act.

HelpdeskError
├── Transient              retry with backoff (the system will recover)
│   ├── RateLimited        429: wait Retry-After seconds
│   ├── ServerError        5xx
│   ├── ConnectionFailed   no answer at all, or one cut short
│   ├── MalformedAnswer    a success answer whose body is not the JSON promised
│   └── OutcomeUnknown     a write that is not idempotent lost its answer: it may have
│                          taken effect, so whoever sends it again must look first
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
    # The helpdesk may have acted on the request before the failure (it got there, and
    # what came back was lost, cut or a 5xx): harmless for a read or an idempotent write,
    # a duplicate for a note sent again blind.
    maybe_applied: bool = False
    # Raised after the HTTP layer retried it for as long as a request may wait: retrying
    # again around it (a Prefect task retry) would multiply the waits into many minutes.
    exhausted: bool = False


class RateLimited(Transient):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(Transient):
    maybe_applied = True  # a 500/502/504 may come from a gateway after the work was done


class ConnectionFailed(Transient):
    def __init__(self, message: str, *, sent: bool = True, timed_out: bool = False) -> None:
        super().__init__(message)
        self.maybe_applied = sent  # False only when no connection was ever made
        self.timed_out = timed_out


class MalformedAnswer(Transient):
    """A 2xx whose body is not valid JSON (cut short, or a proxy's page)."""

    maybe_applied = True


class OutcomeUnknown(Transient):
    """A write that must not be repeated blind failed after it may have taken effect.

    The HTTP layer never retries it; the connector establishes what the helpdesk shows
    (a job, the note's ref on the ticket) and sends only what is missing."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.maybe_applied = True
        self.timed_out = timed_out  # the request may still be in flight at the helpdesk


class Final(HelpdeskError):
    """Retrying cannot help."""


class Unreachable(Final):
    """A configuration problem: the message names the URL setting to fix."""


class AuthError(Final):
    """A configuration problem: the message names the credential to fix."""

    def __init__(self, message: str, status: int = 401, body: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class NotFound(Final):
    pass


class RequestRejected(Final):
    def __init__(self, message: str, status: int, body: object = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class MalformedRecord(HelpdeskError):
    """One record from the helpdesk could not be understood; skip it and go on."""
