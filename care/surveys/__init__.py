"""Surveys ("Did we solve it?", SPEC §4): the send-time decision, the e-mail, its links, transports.

decision   decide(candidate, fresh ticket, policy, now, ...) -> Decision   (pure)
links      sign / verify the tokens of the answer and unsubscribe links, bound to one
           sent survey (legacy_links: the first token format, until those links expire)
message    build_survey_email(...) -> EmailMessage                         (Jinja2)
transport  Transport: SmtpTransport, OutboxTransport; transport_from_env(policy)
server     create_app(settings, ...) -> FastAPI: the endpoint the links point at
           (pages: its HTML and headers; forms: request bodies, size and time bounded;
           serving: uvicorn, in the foreground or on a thread)
writeback  answers and comments onto the ticket; write_back_pending(store, settings)

Those last two (and `pages`, `forms`, `serving`) are not re-exported here: import them from
their modules, so that sending surveys never loads FastAPI.
"""

from care.surveys.decision import (
    REOPENED,
    SEND,
    Decision,
    Outcome,
    SkipReason,
    SurveyCandidate,
    decide,
)
from care.surveys.links import (
    Answer,
    InvalidToken,
    SurveyClaim,
    SurveyRef,
    answer_url,
    sign,
    verify,
)
from care.surveys.message import LINK_VALIDITY, build_survey_email
from care.surveys.transport import (
    OutboxTransport,
    SmtpTransport,
    Transport,
    TransportError,
    transport_from_env,
)

__all__ = [
    "LINK_VALIDITY",
    "REOPENED",
    "SEND",
    "Answer",
    "Decision",
    "InvalidToken",
    "OutboxTransport",
    "Outcome",
    "SkipReason",
    "SmtpTransport",
    "SurveyCandidate",
    "SurveyClaim",
    "SurveyRef",
    "Transport",
    "TransportError",
    "answer_url",
    "build_survey_email",
    "decide",
    "sign",
    "transport_from_env",
    "verify",
]
