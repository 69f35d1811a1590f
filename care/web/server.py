"""The web endpoint behind the survey e-mail's links (`care survey-server`, SPEC §4).

    GET  /s/{token}            show the chosen answer with a "Send my answer" button and
                               an optional comment; records nothing (see below); once an
                               answer is recorded, show it instead
    POST /s/{token}            record the answer (the first one sent wins) and the comment
                               (once), write them back, thank the requester
    GET  /unsubscribe/{token}  ask for confirmation (a link scanner never unsubscribes)
    POST /unsubscribe/{token}  record the opt-out; also the RFC 8058 one-click POST
                               (`List-Unsubscribe=One-Click`) that mail clients send

Why opening a link records nothing: mail security scanners (Microsoft Defender Safe
Links and the like) fetch every link of an incoming e-mail before the customer sees
it. If a GET answered, a scanner would answer "No, not yet" for the customer, reopen
a solved ticket, and lock the customer's own answer out. Scanners fetch; they do not
submit forms. The page that opens offers the other answer too, for a mis-click.

A token is honoured only for the survey it was mailed in: its outbox row must be
`sent` and hold the token's nonce and ticket (`care.domain.survey_links`), and the answer
is recorded for the address that survey went to. A token that is forged, altered,
malformed or bound to no sent survey gets a 400 page, an expired one a 410 page,
and nothing is recorded. Write-backs run right after the page is sent: a helpdesk
that is slow or down never keeps the requester waiting, and what it refuses stays
pending for `write_back_pending`. Tokens and addresses are never logged in full.

Under abuse: every response carries the security headers (`pages.SECURITY_HEADERS`),
500s included; a trailing slash is a 404, not a redirect built from the Host header;
a form body that stalls gets a 408 after `body_timeout_s` and the connection closes;
a client that goes away mid-request is an INFO line, not an ERROR traceback.

The same app takes product error events (`POST /events/sentry`, `POST /events/error`,
SPEC §4b): see `care.web.events`.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Final

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from care.domain.legacy_links import sign_legacy
from care.domain.survey_links import (
    ANSWER_PATH,
    UNSUBSCRIBE_PATH,
    InvalidToken,
    SurveyClaim,
    sign,
    verify,
)
from care.settings.load import ConfigError, Settings
from care.settings.secrets import reveal
from care.store import AnswerRecord, Store
from care.store.answers import normalised
from care.store.schema import SurveyState
from care.store.surveys import SurveyRecord
from care.web.events import add_event_routes
from care.web.forms import BODY_TIMEOUT_S, read_form
from care.web.pages import (
    ANSWER_PAGE,
    UNSUBSCRIBE_PAGE,
    SecurityHeaders,
    check_templates,
    error_page,
    mask_email,
    page,
)
from tasks.writeback import (
    ANSWER_LABELS,
    HelpdeskOpener,
    Part,
    helpdesk_opener,
    reopens,
    write_back_now,
)

log = logging.getLogger("care.web.server")

MAX_COMMENT_CHARS: Final = 2000
# HMAC-SHA256 keys shorter than its 32-byte output are guessable offline from one link.
MIN_SECRET_BYTES: Final = 32
_CONTROL_CHARS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # PostgreSQL refuses NUL


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    open_helpdesk: HelpdeskOpener | None = None,
    clock: Callable[[], datetime] | None = None,
    body_timeout_s: float = BODY_TIMEOUT_S,
) -> FastAPI:
    """The survey endpoint as an ASGI app (serve it with uvicorn).

    `store`: the database to use (default: opened from `settings.database_url`, and
    closed with the app). `open_helpdesk(name)`: a connector for a helpdesk name
    (default: `connectors.registry.open_helpdesk` with the store as its memory).
    `clock`: the time tokens are checked against (default: now, UTC).
    `body_timeout_s`: how long a form body may take to arrive (then 408).
    Raises `ConfigError` without a signing key of at least `MIN_SECRET_BYTES`.
    """
    signing_key(settings)
    check_templates(settings.policy)
    endpoint = SurveyEndpoint(
        settings,
        store or Store.open(settings.database_url),
        open_helpdesk,
        clock or (lambda: datetime.now(UTC)),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if store is None:
            endpoint.store.close()

    app = FastAPI(
        title="CARE survey answers",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
        # Starlette's redirect to the slash-less path builds its Location from the Host
        # header: an open redirect on our domain. No route ends in "/": a 404 is right.
        redirect_slashes=False,
    )
    app.add_middleware(SecurityHeaders)
    policy = settings.policy

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> HTMLResponse:
        return error_page(policy, exc.status_code, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def not_understood(request: Request, exc: RequestValidationError) -> HTMLResponse:
        return error_page(policy, 400)

    # Starlette sends a 500 from outside every middleware, so the page brings its own
    # headers (`pages.page`); the traceback is still logged, as it should be.
    @app.exception_handler(Exception)
    async def failed(request: Request, exc: Exception) -> HTMLResponse:
        return error_page(policy, 500)

    @app.get(ANSWER_PATH + "{token}", response_class=HTMLResponse)
    def answer_form(token: str) -> HTMLResponse:
        return endpoint.answer_form(token)

    @app.post(ANSWER_PATH + "{token}", response_class=HTMLResponse)
    async def answer(token: str, request: Request, background: BackgroundTasks) -> HTMLResponse:
        form = await read_form(request, body_timeout_s)
        return await run_in_threadpool(endpoint.answer, token, form, background)

    @app.get(UNSUBSCRIBE_PATH + "{token}", response_class=HTMLResponse)
    def unsubscribe_form(token: str) -> HTMLResponse:
        return endpoint.unsubscribe(token, confirmed=False)

    @app.post(UNSUBSCRIBE_PATH + "{token}", response_class=HTMLResponse)
    async def unsubscribe(token: str, request: Request) -> HTMLResponse:
        await read_form(request, body_timeout_s)  # its content does not matter: the token does
        return await run_in_threadpool(endpoint.unsubscribe, token, True)

    # SPEC §4b: error events in, each route only when its secret is set (care/web/events.py)
    add_event_routes(app, settings, endpoint.store, endpoint.clock, body_timeout_s)
    app.state.endpoint = endpoint
    return app


class SurveyEndpoint:
    """What each route does, free of HTTP plumbing."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        open_helpdesk: HelpdeskOpener | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings, self.store, self.clock = settings, store, clock
        self.secret = signing_key(settings)
        self.policy = settings.policy
        self.open_helpdesk = open_helpdesk or helpdesk_opener(settings, store)
        self._writes = threading.Condition()
        self._writes_in_flight = 0

    def wait_for_write_backs(self, timeout: float = 30.0) -> bool:
        """True once no write-back is scheduled or running (tests, orderly stops)."""
        with self._writes:
            return self._writes.wait_for(lambda: self._writes_in_flight == 0, timeout)

    def answer_form(self, token: str) -> HTMLResponse:
        """The page a link opens: the answer to send, or the one already recorded."""
        claim, survey = self._claim(token, ("solved", "unsolved"))
        record = self.store.survey_answer(survey.helpdesk, survey.ticket_id)
        if record is not None:
            return self._answer_page(record.answer, record.comment)
        log.info("survey link for %s opened, not sent yet", survey.ticket_key)
        other = "unsolved" if claim.answer == "solved" else "solved"
        if claim.survey is not None:
            other_token = sign(self.secret, claim.survey, other, claim.expires_at)
        else:  # a first-format link's page links the other answer in that format
            email = claim.requester_email or ""
            other_token = sign_legacy(
                self.secret, claim.helpdesk, claim.ticket_id, email, other, claim.expires_at
            )
        return self._answer_page(
            claim.answer,
            None,
            confirming=True,
            title="Did we solve it?",
            other_answer_label=ANSWER_LABELS[other],
            # Relative to this page's URL: right behind a proxy that serves it under a prefix.
            other_answer_href=other_token,
        )

    def answer(
        self, token: str, form: dict[str, list[str]], background: BackgroundTasks
    ) -> HTMLResponse:
        """Record the answer (the first one sent wins) and a comment, if any and none yet.

        The form on the page a link opens sends `send=answer`: its comment is optional.
        The comment form shown after the answer requires one."""
        claim, survey = self._claim(token, ("solved", "unsolved"))
        record, first = self._record_answer(claim, survey)
        parts: list[Part] = ["answer"] if first else []
        commented_now = False
        text = _clean((form.get("comment") or [""])[0])
        comment_optional = first or form.get("send") == ["answer"]
        if record.comment is None and (text or not comment_optional):
            problem = _comment_problem(text)
            if problem:
                self._write_later(background, record, parts)
                return self._answer_page(
                    record.answer, record.comment, first, error=problem, draft=text, status=400
                )
            stored, commented_now = self.store.record_survey_comment(
                survey.helpdesk, survey.ticket_id, text, self.clock()
            )
            assert stored is not None  # the answer was recorded just above
            record = stored
            if commented_now:
                parts.append("comment")
                log.info("survey comment on %s recorded", record.ticket_key)
        self._write_later(background, record, parts)
        return self._answer_page(record.answer, record.comment, first, comment_first=commented_now)

    def unsubscribe(self, token: str, confirmed: bool) -> HTMLResponse:
        _, survey = self._claim(token, ("unsubscribe",))
        email = survey.requester_email or ""  # a sent survey has one (see _sent_survey)
        if confirmed:
            new = self.store.record_opt_out(email, self.clock(), survey.helpdesk, survey.ticket_id)
            log.info("survey opt-out %s: %s", "recorded" if new else "again", mask_email(email))
        done = confirmed or self.store.opted_out(email)
        return page(self.policy, UNSUBSCRIBE_PAGE, email=email, done=done)

    def _claim(self, token: str, answers: Collection[str]) -> tuple[SurveyClaim, SurveyRecord]:
        """The verified claim of a token, and the sent survey it answers; else a 4xx."""
        try:
            claim = verify(
                self.secret,
                token,
                self.clock(),
                allow_expired=set(answers) == {"unsubscribe"},
            )
        except InvalidToken as exc:
            log.info("survey link refused: %s", exc.reason)
            raise HTTPException(410 if exc.reason == "expired" else 400) from None
        if claim.answer not in answers:  # e.g. an unsubscribe token under /s/
            log.info("survey link refused: a %s token on the wrong route", claim.answer)
            raise HTTPException(400)
        survey = self._sent_survey(claim)
        if survey is None:
            log.info(
                "survey link refused: no survey sent for %s:%s matches it",
                claim.helpdesk,
                claim.ticket_id,
            )
            raise HTTPException(400)
        return claim, survey

    def _sent_survey(self, claim: SurveyClaim) -> SurveyRecord | None:
        """The outbox row the claim is bound to, if it was sent, else None.

        A current token names the row and carries its nonce. A first-format token
        (`care.domain.legacy_links`) names the ticket and the address: it fits only a
        survey sent before migration 0007 (no nonce), to that address."""
        if claim.survey is not None:
            row = self.store.survey_by_id(claim.survey.survey_id)
            bound = (
                row is not None
                and row.link_nonce is not None
                and hmac.compare_digest(row.link_nonce, claim.survey.nonce)
            )
        else:
            row = self.store.survey(claim.helpdesk, claim.ticket_id)
            bound = (
                row is not None
                and row.link_nonce is None
                and normalised(row.requester_email or "") == normalised(claim.requester_email or "")
            )
        if row is None or not bound or row.state is not SurveyState.SENT:
            return None
        if (row.helpdesk, row.ticket_id) != (claim.helpdesk, claim.ticket_id):
            return None
        return row if row.requester_email else None

    def _record_answer(self, claim: SurveyClaim, survey: SurveyRecord) -> tuple[AnswerRecord, bool]:
        email = survey.requester_email or ""  # a sent survey has one (see _sent_survey)
        record, first = self.store.record_survey_answer(
            survey.helpdesk, survey.ticket_id, email, claim.answer, self.clock()
        )
        log.info(
            "survey answer %s %s: %s from %s",
            record.ticket_key,
            "recorded" if first else "already recorded",
            record.answer,
            mask_email(email),
        )
        return record, first

    def _write_later(
        self, background: BackgroundTasks, record: AnswerRecord, parts: Collection[Part]
    ) -> None:
        if not parts:
            return
        with self._writes:
            self._writes_in_flight += 1
        background.add_task(self._write_back, record, parts)

    def _write_back(self, record: AnswerRecord, parts: Collection[Part]) -> None:
        try:
            write_back_now(self.store, self.open_helpdesk, record, self.policy, parts)
        finally:
            with self._writes:
                self._writes_in_flight -= 1
                self._writes.notify_all()

    def _answer_page(
        self,
        answer: str,
        comment: str | None,
        first: bool = False,
        *,
        confirming: bool = False,
        comment_first: bool = False,
        error: str | None = None,
        draft: str = "",
        status: int = 200,
        **extra: str,
    ) -> HTMLResponse:
        """The answer page: `confirming` before anything is recorded (`extra`: the other
        answer's link and the page title), else the answer recorded and its comment."""
        return page(
            self.policy,
            ANSWER_PAGE,
            status,
            answer=answer,
            answer_label=ANSWER_LABELS[answer],
            first_click=first,
            confirming=confirming,
            reopened=reopens(self.policy, answer),
            comment=comment,
            comment_first=comment_first,
            comment_draft=draft,
            error=error,
            max_comment_chars=MAX_COMMENT_CHARS,
            **extra,
        )


def signing_key(settings: Settings) -> str:
    """`CARE_SURVEY_SECRET`, or `ConfigError` when it is missing or too short to be safe."""
    secret = reveal(settings.survey_secret) or ""
    make_one = "set it to the output of `openssl rand -hex 32`"
    if not secret:
        raise ConfigError(
            "CARE_SURVEY_SECRET is not set: the survey endpoint cannot check its links "
            f"(use the key the survey e-mails were signed with, or {make_one})"
        )
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(
            f"CARE_SURVEY_SECRET is shorter than {MIN_SECRET_BYTES} bytes: one survey link "
            f"gives it away to an offline guess, and with it anyone can answer for anyone; "
            f"{make_one} (links already sent with the old one stop working)"
        )
    return secret


def _clean(text: str) -> str:
    return _CONTROL_CHARS.sub("", text.replace("\r\n", "\n")).strip()


def _comment_problem(text: str) -> str | None:
    if not text:
        return "Please write a comment first, or simply close this page."
    if len(text) > MAX_COMMENT_CHARS:
        return (
            f"Your comment is {len(text)} characters long: please shorten it to "
            f"{MAX_COMMENT_CHARS} characters."
        )
    return None
