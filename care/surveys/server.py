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

A token that is forged, altered or malformed gets a 400 page, an expired one a 410
page, and nothing is recorded. Write-backs run right after the page is sent: a
helpdesk that is slow or down never keeps the requester waiting, and what it
refuses stays pending for `write_back_pending`. Tokens and addresses are never
logged in full.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Final
from urllib.parse import parse_qs

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from care.config import ConfigError, Settings
from care.config_secrets import reveal
from care.store import AnswerRecord, Store
from care.surveys.links import (
    ANSWER_PATH,
    UNSUBSCRIBE_PATH,
    InvalidToken,
    SurveyClaim,
    sign,
    verify,
)
from care.surveys.pages import (
    ANSWER_PAGE,
    UNSUBSCRIBE_PAGE,
    SecurityHeaders,
    check_templates,
    error_page,
    mask_email,
    page,
)
from care.surveys.writeback import (
    ANSWER_LABELS,
    HelpdeskOpener,
    Part,
    helpdesk_opener,
    reopens,
    write_back_now,
)

log = logging.getLogger("care.surveys.server")

MAX_COMMENT_CHARS: Final = 2000
MAX_FORM_BYTES: Final = 32 * 1024  # a full comment, %-encoded, with room to spare
_CONTROL_CHARS: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # PostgreSQL refuses NUL


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    open_helpdesk: HelpdeskOpener | None = None,
    clock: Callable[[], datetime] | None = None,
) -> FastAPI:
    """The survey endpoint as an ASGI app (serve it with uvicorn).

    `store`: the database to use (default: opened from `settings.database_url`, and
    closed with the app). `open_helpdesk(name)`: a connector for a helpdesk name
    (default: `connectors.factory.open_helpdesk` with the store as its memory).
    `clock`: the time tokens are checked against (default: now, UTC).
    """
    if not settings.survey_secret:
        raise ConfigError(
            "CARE_SURVEY_SECRET is not set: the survey endpoint cannot check its links "
            "(use the key the survey e-mails were signed with)"
        )
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
    )
    app.add_middleware(SecurityHeaders)
    policy = settings.policy

    @app.exception_handler(HTTPException)
    async def refused(request: Request, exc: HTTPException) -> HTMLResponse:
        return error_page(policy, exc.status_code)

    @app.get(ANSWER_PATH + "{token}", response_class=HTMLResponse)
    def answer_form(token: str) -> HTMLResponse:
        return endpoint.answer_form(token)

    @app.post(ANSWER_PATH + "{token}", response_class=HTMLResponse)
    async def answer(token: str, request: Request, background: BackgroundTasks) -> HTMLResponse:
        form = await _read_form(request)
        return await run_in_threadpool(endpoint.answer, token, form, background)

    @app.get(UNSUBSCRIBE_PATH + "{token}", response_class=HTMLResponse)
    def unsubscribe_form(token: str) -> HTMLResponse:
        return endpoint.unsubscribe(token, confirmed=False)

    @app.post(UNSUBSCRIBE_PATH + "{token}", response_class=HTMLResponse)
    async def unsubscribe(token: str, request: Request) -> HTMLResponse:
        await _read_form(request)  # the body does not matter: the token is the proof
        return await run_in_threadpool(endpoint.unsubscribe, token, True)

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
        claim = self._claim(token, ("solved", "unsolved"))
        record = self.store.survey_answer(claim.helpdesk, claim.ticket_id)
        if record is not None:
            return self._answer_page(record.answer, record.comment)
        log.info("survey link for %s:%s opened, not sent yet", claim.helpdesk, claim.ticket_id)
        other = "unsolved" if claim.answer == "solved" else "solved"
        other_token = sign(
            reveal(self.settings.survey_secret) or "",
            claim.helpdesk,
            claim.ticket_id,
            claim.requester_email,
            other,
            claim.expires_at,
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
        claim = self._claim(token, ("solved", "unsolved"))
        record, first = self._record_answer(claim)
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
                claim.helpdesk, claim.ticket_id, text, self.clock()
            )
            assert stored is not None  # the answer was recorded just above
            record = stored
            if commented_now:
                parts.append("comment")
                log.info("survey comment on %s recorded", record.ticket_key)
        self._write_later(background, record, parts)
        return self._answer_page(record.answer, record.comment, first, comment_first=commented_now)

    def unsubscribe(self, token: str, confirmed: bool) -> HTMLResponse:
        claim = self._claim(token, ("unsubscribe",))
        email = claim.requester_email
        if confirmed:
            new = self.store.record_opt_out(email, self.clock(), claim.helpdesk, claim.ticket_id)
            log.info("survey opt-out %s: %s", "recorded" if new else "again", mask_email(email))
        done = confirmed or self.store.opted_out(email)
        return page(self.policy, UNSUBSCRIBE_PAGE, email=email, done=done)

    def _claim(self, token: str, answers: Collection[str]) -> SurveyClaim:
        try:
            claim = verify(
                reveal(self.settings.survey_secret) or "",
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
        return claim

    def _record_answer(self, claim: SurveyClaim) -> tuple[AnswerRecord, bool]:
        record, first = self.store.record_survey_answer(
            claim.helpdesk, claim.ticket_id, claim.requester_email, claim.answer, self.clock()
        )
        log.info(
            "survey answer %s %s: %s from %s",
            record.ticket_key,
            "recorded" if first else "already recorded",
            record.answer,
            mask_email(claim.requester_email),
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


async def _read_form(request: Request) -> dict[str, list[str]]:
    """An `application/x-www-form-urlencoded` body, refused (413) past `MAX_FORM_BYTES`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise HTTPException(413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413)
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


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
