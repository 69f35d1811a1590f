"""Surveys ("Did we solve it?", SPEC §4): the send-time decision, the e-mail, its links, transports.

decision   decide(candidate, fresh ticket, policy, now, ...) -> Decision   (pure)
links      sign / verify the tokens of the answer and unsubscribe links
message    build_survey_email(...) -> EmailMessage                         (Jinja2)
transport  Transport: SmtpTransport, OutboxTransport; transport_from_env(policy)
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
from care.surveys.links import Answer, InvalidToken, SurveyClaim, answer_url, sign, verify
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
    "Transport",
    "TransportError",
    "answer_url",
    "build_survey_email",
    "decide",
    "sign",
    "transport_from_env",
    "verify",
]
