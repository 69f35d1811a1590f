"""The "Did we solve it?" e-mail: text and HTML from Jinja2 templates, with signed links.

Templates: `survey.txt.j2` and `survey.html.j2`. A file of the same name in the
templates folder (`policy.templates_dir`) overrides the bundled one in
`care/templates/`. Every template renders in a sandbox (an override is
configuration, not code) with strict undefined variables (a typo fails loudly
instead of mailing a blank), and the HTML one with autoescaping.

Template fields: first_name, requester_name, requester_email, subject, helpdesk,
ticket_id, solved_at, solved_url, unsolved_url, unsubscribe_url,
links_expire_at, sender_name.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any, Final
from urllib.parse import quote

from care.domain.policy import Policy
from care.domain.survey_links import ANSWERS, SurveyRef, answer_url, sign
from care.domain.surveys import SurveyCandidate
from care.domain.templating import template_environment

LINK_VALIDITY: Final = timedelta(days=30)
TEXT_TEMPLATE: Final = "survey.txt.j2"
HTML_TEMPLATE: Final = "survey.html.j2"
SURVEY_HEADER: Final = "X-CARE-Survey"  # "helpdesk:ticket_id", also read by the outbox

# Bodies are encoded with MIME's 76-character lines, 7bit (non-ASCII goes
# quoted-printable, so no server needs 8BITMIME). Headers are written with the
# message policy, which does not fold at 78: Python would turn the unbreakable
# List-Unsubscribe URL into RFC 2047 encoded words, which no mail client reads.
BODY_POLICY: Final = default_policy.clone(cte_type="7bit")
MESSAGE_POLICY: Final = BODY_POLICY.clone(max_line_length=998)

_MAX_SUBJECT_CHARS: Final = 120  # of the ticket subject inside the mail's subject line


def build_survey_email(
    candidate: SurveyCandidate,
    policy: Policy,
    base_url: str,
    secret: str,
    now: datetime,
    templates_dir: str | None = None,
    sender_domain: str | None = None,
) -> EmailMessage:
    """The survey e-mail for one solved ticket, ready for a `Transport`.

    `templates_dir` defaults to `policy.templates_dir`; `sender_domain` (the
    right-hand side of the Message-ID) defaults to the domain of
    `policy.survey.sender`. Links are absolute under `base_url` and valid for
    `LINK_VALIDITY` from `now`, for this survey only (`candidate.survey_id` and
    `link_nonce`, from its outbox row). Raises `ValueError` for a requester address
    that cannot be mailed, a candidate without an outbox row, or a bad
    `survey.subject`/`survey.sender` setting.
    """
    sender_name, sender_address = parseaddr(policy.survey.sender)
    domain = sender_domain or sender_address.rpartition("@")[2]
    if not domain:
        raise ValueError(
            f"survey.sender {policy.survey.sender!r} has no e-mail domain for the Message-ID"
        )
    recipient = _recipient(candidate)
    links = _links(candidate, base_url, secret, now + LINK_VALIDITY)
    fields: dict[str, Any] = {
        "first_name": candidate.first_name,
        "requester_name": candidate.requester_name,
        "requester_email": recipient.addr_spec,
        "subject": candidate.subject,
        "helpdesk": candidate.helpdesk,
        "ticket_id": candidate.ticket_id,
        "solved_at": candidate.solved_at,
        "solved_url": links["solved"],
        "unsolved_url": links["unsolved"],
        "unsubscribe_url": links["unsubscribe"],
        "links_expire_at": now + LINK_VALIDITY,
        "sender_name": sender_name or "Support",
    }
    env = template_environment(templates_dir if templates_dir is not None else policy.templates_dir)

    msg = EmailMessage(policy=BODY_POLICY)
    msg["Subject"] = subject_line(policy, candidate.subject)
    msg["From"] = policy.survey.sender
    msg["To"] = recipient
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(candidate.helpdesk, candidate.ticket_id, domain)
    msg["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg["X-Auto-Response-Suppress"] = "All"  # the same, for Exchange
    msg[SURVEY_HEADER] = _one_line(candidate.key)
    msg.set_content(env.get_template(TEXT_TEMPLATE).render(fields))
    msg.add_alternative(env.get_template(HTML_TEMPLATE).render(fields), subtype="html")
    msg.policy = MESSAGE_POLICY  # see MESSAGE_POLICY: the parts stay encoded as they are
    return msg


def subject_line(policy: Policy, ticket_subject: str) -> str:
    """`policy.survey.subject` with `{subject}` filled in, on one line."""
    subject = _one_line(ticket_subject)
    if len(subject) > _MAX_SUBJECT_CHARS:
        subject = subject[: _MAX_SUBJECT_CHARS - 1].rstrip() + "…"
    try:
        return _one_line(policy.survey.subject.format(subject=subject))
    except (KeyError, IndexError, AttributeError, ValueError) as exc:
        raise ValueError(
            f"survey.subject {policy.survey.subject!r} is not a valid format: {exc!r}; "
            "the only field is {subject}"
        ) from None


def message_id(helpdesk: str, ticket_id: str, domain: str) -> str:
    """`<care-survey.{helpdesk}.{ticket_id}@{domain}>`: the same for every resend of a survey.

    Characters a Message-ID cannot carry are %-encoded (injective, so two tickets
    never share an id).
    """
    return f"<care-survey.{_atom(helpdesk)}.{_atom(ticket_id)}@{_atom(domain, keep_dots=True)}>"


def _recipient(candidate: SurveyCandidate) -> Address:
    email = (candidate.requester_email or "").strip()
    if not email:
        raise ValueError(f"survey {candidate.key} has no requester e-mail address")
    try:
        return Address(display_name=_one_line(candidate.requester_name), addr_spec=email)
    except Exception as exc:  # the email package raises several types for a bad address
        raise ValueError(f"survey {candidate.key}: cannot mail {email!r}: {exc}") from None


def _links(
    candidate: SurveyCandidate, base_url: str, secret: str, expires_at: datetime
) -> dict[str, str]:
    if candidate.survey_id is None or candidate.link_nonce is None:
        raise ValueError(f"survey {candidate.key} has no outbox row to bind its links to")
    survey = SurveyRef(
        candidate.survey_id, candidate.helpdesk, candidate.ticket_id, candidate.link_nonce
    )
    return {
        answer: answer_url(base_url, sign(secret, survey, answer, expires_at)) for answer in ANSWERS
    }


@lru_cache(maxsize=8)
def _one_line(value: str) -> str:
    """Whitespace (line breaks included: they would inject headers) collapsed to spaces."""
    return " ".join(value.split())


def _atom(value: str, keep_dots: bool = False) -> str:
    encoded = quote(value, safe="")
    return encoded if keep_dots else encoded.replace(".", "%2E")
