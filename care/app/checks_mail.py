"""`care check` for survey e-mails: the SMTP server (connect, TLS, login, QUIT, no mail
sent), where the links in the e-mails point, and who they come from."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from email.utils import parseaddr
from urllib.parse import urlsplit

from care.app.check_result import CheckResult, Outcome
from care.domain.policy import Policy
from care.domain.rules.enhance import SURVEY
from care.outbound.transport import (
    CHECK_SERVER,
    CHECK_TLS,
    SmtpTransport,
    TransportError,
    transport_from_env,
)
from care.settings.load import DEFAULT_SURVEY_BASE_URL

# Reserved for examples (RFC 2606, RFC 6761): no one reads mail at these domains.
EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org", "example")


# -- survey e-mails ---------------------------------------------------------------------


def check_survey_links(env: Mapping[str, str], policy: Policy) -> CheckResult:
    """The links in survey e-mails must reach `care survey-server` from the customer's
    machine; a loopback one is fine while e-mails only go to the outbox folder (the demo)."""
    if not policy.enabled(SURVEY):
        return CheckResult("survey links", Outcome.SKIPPED, f"surveys are off ({SURVEY})")
    base = env.get("CARE_SURVEY_BASE_URL", "").strip()
    problem = _survey_link_problem(base)
    if problem is None:
        return CheckResult("survey links", Outcome.OK, f"survey e-mails link to {base}")
    hint = "set CARE_SURVEY_BASE_URL to the public https:// address of `care survey-server`"
    if _over_smtp(env):
        message = f"{problem}; CARE_SMTP_HOST is set, so these e-mails reach customers"
        return CheckResult("survey links", Outcome.FAIL, message, hint)
    message = f"{problem}; fine while e-mails go to the outbox folder, not over SMTP"
    return CheckResult("survey links", Outcome.WARN, message, hint)


def _survey_link_problem(base: str) -> str | None:
    if not base:
        return (
            f"CARE_SURVEY_BASE_URL is not set: every link in the e-mails would point at "
            f"{DEFAULT_SURVEY_BASE_URL}, the customer's own machine"
        )
    try:
        parts = urlsplit(base)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed [ of an IPv6 address
        return "CARE_SURVEY_BASE_URL is not a URL"
    if parts.scheme not in ("http", "https") or not host:
        return "CARE_SURVEY_BASE_URL is not an absolute https:// URL"
    if _loopback(host):
        return (
            f"CARE_SURVEY_BASE_URL points at {host}, a loopback address: every link in the "
            "e-mails would point at the customer's own machine"
        )
    if parts.scheme != "https":
        return "CARE_SURVEY_BASE_URL is http://: the answers would travel unencrypted"
    return None


def _loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def check_survey_sender(env: Mapping[str, str], policy: Policy) -> CheckResult:
    """survey.sender must be an address of the operator's: the example one's mail goes nowhere."""
    if not policy.enabled(SURVEY):
        return CheckResult("survey sender", Outcome.SKIPPED, f"surveys are off ({SURVEY})")
    address = parseaddr(policy.survey.sender)[1]
    domain = address.rpartition("@")[2].lower() if "@" in address else ""
    hint = 'set sender in the [survey] section of care.toml, e.g. "Support <support@your.domain>"'
    if not domain:
        message = "survey.sender has no e-mail address: no survey e-mail can be sent"
        return CheckResult("survey sender", Outcome.FAIL, message, hint)
    if not any(domain == d or domain.endswith(f".{d}") for d in EXAMPLE_DOMAINS):
        return CheckResult("survey sender", Outcome.OK, f"survey e-mails come from {address}")
    message = f"survey.sender is the example address {address}: replies would go nowhere"
    if _over_smtp(env):
        return CheckResult("survey sender", Outcome.FAIL, message, hint)
    message += "; fine while e-mails go to the outbox folder, not over SMTP"
    return CheckResult("survey sender", Outcome.WARN, message, hint)


def _over_smtp(env: Mapping[str, str]) -> bool:
    return bool(env.get("CARE_SMTP_HOST", "").strip())  # as transport_from_env decides


# -- SMTP -------------------------------------------------------------------------------


def check_smtp(env: Mapping[str, str], policy: Policy, timeout: float = 10.0) -> CheckResult:
    """With CARE_SMTP_HOST: connect, TLS as configured, log in if a user is set, QUIT."""
    try:
        transport = transport_from_env(policy, env)
    except ValueError as exc:  # names the variable
        return CheckResult("smtp", Outcome.FAIL, str(exc), "set the variable named above")
    if not isinstance(transport, SmtpTransport):
        message = (
            f"CARE_SMTP_HOST not set: survey e-mails go to the folder {policy.survey.outbox_dir}"
        )
        return CheckResult("smtp", Outcome.SKIPPED, message)
    transport.timeout = timeout
    where = f"{transport.host}:{transport.port} ({transport.tls})"
    try:
        transport.verify()
    except TransportError as exc:
        return CheckResult("smtp", Outcome.FAIL, exc.message, _smtp_hint(exc))
    if not transport.user:
        return CheckResult("smtp", Outcome.OK, f"{where}: connected, no login (no CARE_SMTP_USER)")
    # transport_from_env refuses a login without TLS unless the relay is on this machine.
    local = " without TLS (a relay on this machine)" if transport.tls == "none" else ""
    return CheckResult("smtp", Outcome.OK, f"{where}: logged in as {transport.user}{local}")


def _smtp_hint(exc: TransportError) -> str:
    if exc.check == CHECK_TLS:
        return f"check {CHECK_TLS}, and the server's certificate"
    if exc.check == CHECK_SERVER:
        return f"check {CHECK_SERVER}, and that the server can be reached"
    return f"check {exc.check}" if exc.check else "check the CARE_SMTP_* variables"
