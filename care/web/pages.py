"""The survey endpoint's HTML pages, and the headers every response carries.

Pages render from the same sandboxed, autoescaped Jinja2 environment as the survey
e-mail (`care.domain.templating.template_environment`), so a `survey.*.html.j2` file in
`templates_dir` overrides the bundled one. Templates:

    survey.page.html.j2         layout: title, csp_nonce, sender_name (and every page's fields)
    survey.answer.html.j2       confirming, answer, answer_label, first_click, reopened,
                                comment, comment_first, comment_draft, error,
                                max_comment_chars; while confirming (nothing recorded
                                yet): other_answer_label, other_answer_href (the
                                other answer's token: a link relative to the page)
    survey.unsubscribe.html.j2  email, done
    survey.error.html.j2        heading, message

Tokens sit in the URLs, so no page may leak them: `Referrer-Policy: no-referrer`,
no external resource of any kind (the CSP allows one inline stylesheet, by nonce),
and nothing is cached. Every page carries `SECURITY_HEADERS` itself (a 500 is sent
from outside the middleware that adds them to every other response).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from email.utils import parseaddr
from typing import Any, Final

from fastapi.responses import HTMLResponse
from jinja2 import TemplateError
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from care.domain.policy import Policy
from care.domain.templating import template_environment
from care.settings.load import ConfigError

ANSWER_PAGE: Final = "survey.answer.html.j2"
UNSUBSCRIBE_PAGE: Final = "survey.unsubscribe.html.j2"
ERROR_PAGE: Final = "survey.error.html.j2"

# Every response; a page adds the nonce of its stylesheet to the CSP.
BASE_CSP: Final = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
SECURITY_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": BASE_CSP,
    "Cross-Origin-Opener-Policy": "same-origin",
}

ERRORS: Final[dict[int, tuple[str, str]]] = {
    400: (
        "This link is not valid",
        "Please use the link exactly as it is in the e-mail we sent you. If it still "
        "does not work, simply reply to that e-mail.",
    ),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "Please use the link or the button on the page."),
    410: (
        "This link has expired",
        "Survey links work for 30 days. Thank you all the same: you can still reply to "
        "the e-mail about your request.",
    ),
    408: ("Too slow", "What you sent took too long to arrive. Please try again."),
    413: ("Too long", "What you sent is too long."),
}


class SecurityHeaders:
    """ASGI middleware: `SECURITY_HEADERS` on every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def check_templates(policy: Policy) -> None:
    """Load every page template now, so a broken override stops the start, not a request."""
    try:
        env = template_environment(policy.templates_dir)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    for name in (ANSWER_PAGE, UNSUBSCRIBE_PAGE, ERROR_PAGE):
        try:
            env.get_template(name)
        except TemplateError as exc:
            where = getattr(exc, "filename", None) or name
            line = getattr(exc, "lineno", None)
            at = f", line {line}" if line else ""
            raise ConfigError(f"survey page template {where}{at}: {exc.message}") from None


def page(policy: Policy, template: str, status: int = 200, **fields: Any) -> HTMLResponse:
    """A rendered page whose CSP admits exactly its own stylesheet."""
    nonce = secrets.token_urlsafe(16)
    sender_name = parseaddr(policy.survey.sender)[0] or "Support"
    env = template_environment(policy.templates_dir)
    html = env.get_template(template).render(
        {"csp_nonce": nonce, "sender_name": sender_name, "title": _title(template), **fields}
    )
    csp = f"{BASE_CSP}; style-src 'nonce-{nonce}'"
    headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp}
    return HTMLResponse(html, status_code=status, headers=headers)


def error_page(
    policy: Policy, status: int, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """The error page for `status`, with extra `headers` (e.g. `Connection: close`)."""
    heading, message = ERRORS.get(status, ("Something went wrong", "Please try again later."))
    try:
        response = page(policy, ERROR_PAGE, status, heading=heading, message=message, title=heading)
    except Exception:  # an override that fails to render must not turn a 4xx into a crash
        response = HTMLResponse(f"<h1>{heading}</h1>", status, headers=SECURITY_HEADERS)
    response.headers.update(headers or {})
    return response


def mask_email(email: str) -> str:
    """`a***@example.com`: enough to tell requesters apart in a log, not to mail them."""
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def _title(template: str) -> str:
    return {
        ANSWER_PAGE: "Thank you",
        UNSUBSCRIBE_PAGE: "Unsubscribe",
    }.get(template, "Did we solve it?")
