"""The survey e-mail and its signed links, as the requester (and their mail client) sees them."""

from __future__ import annotations

import base64
import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from jinja2.exceptions import SecurityError

from care.domain.policy import Policy, Survey
from care.domain.survey_links import SurveyClaim, SurveyRef, answer_url, verify
from care.domain.surveys import SurveyCandidate
from care.outbound.survey_message import build_survey_email, message_id

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
BASE = "https://care.example.com/survey"
SECRET = "test-signing-key"
POLICY = Policy(survey=Survey(sender="Acme Support <help@acme.test>"))
CANDIDATE = SurveyCandidate(
    helpdesk="zendesk",
    ticket_id="42",
    requester_email="jane@example.com",
    requester_name="Jane Doe",
    subject="Printer on fire",
    solved_at=NOW - timedelta(hours=25),
    due_at=NOW - timedelta(hours=1),
    survey_id=7,
    link_nonce="0f" * 16,
)
SURVEY = SurveyRef(7, "zendesk", "42", "0f" * 16)


def build(candidate: SurveyCandidate = CANDIDATE, **kwargs: Any) -> EmailMessage:
    options: dict[str, Any] = {
        "policy": POLICY,
        "base_url": BASE + "/",
        "secret": SECRET,
        "now": NOW,
    }
    options.update(kwargs)
    return build_survey_email(candidate, **options)


def received(msg: EmailMessage) -> EmailMessage:
    """The message as a mail client reads it: flattened to bytes and parsed back."""
    parsed = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(msg: EmailMessage) -> tuple[str, str]:
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs)["href"]

    def handle_data(self, data: str) -> None:
        if self._href and data.strip():
            self.links[data.strip()] = self._href
            self._href = None


def html_links(html: str) -> dict[str, str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


# --- the message ------------------------------------------------------------------


def test_message_has_a_text_and_an_html_part() -> None:
    msg = received(build())
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


def test_message_greets_the_requester_by_first_name_and_names_the_ticket() -> None:
    text, html = parts(received(build()))
    assert text.startswith("Hi Jane,\n")
    assert '"Printer on fire"' in text
    assert "Hi Jane," in html and "Printer on fire" in html


def test_message_without_a_name_still_greets() -> None:
    text, html = parts(build(replace(CANDIDATE, requester_name="")))
    assert text.startswith("Hi,\n")
    assert "Hi," in html


def test_links_are_absolute_under_the_base_url_and_verify() -> None:
    _, html = parts(received(build()))
    links = html_links(html)
    assert links["Yes, solved"] == answer_url(BASE, token_of(links["Yes, solved"]))
    assert links["Yes, solved"].startswith(BASE + "/s/")
    assert links["No, not yet"].startswith(BASE + "/s/")
    assert links["Unsubscribe from these surveys"].startswith(BASE + "/unsubscribe/")
    expires = NOW + timedelta(days=30)
    claims = {label: verify(SECRET, token_of(url), NOW) for label, url in links.items()}
    assert claims == {
        "Yes, solved": SurveyClaim("zendesk", "42", "solved", expires, SURVEY),
        "No, not yet": SurveyClaim("zendesk", "42", "unsolved", expires, SURVEY),
        "Unsubscribe from these surveys": SurveyClaim(
            "zendesk", "42", "unsubscribe", expires, SURVEY
        ),
    }


def test_links_name_no_address_in_any_form() -> None:
    """Links land in proxy logs and forwarded mail: the address is not in them, not even
    base64-encoded (the e-mail's own headers and greeting do carry it, as they must)."""
    _, html = parts(received(build()))
    for url in html_links(html).values():
        payload = token_of(url).split(".")[0]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        assert b"jane" not in decoded.lower() and b"example.com" not in decoded
        assert "jane" not in url.lower()


def test_a_survey_without_an_outbox_row_gets_no_links() -> None:
    with pytest.raises(ValueError, match="no outbox row"):
        build(replace(CANDIDATE, survey_id=None, link_nonce=None))


def test_text_part_carries_the_same_links() -> None:
    text, html = parts(received(build()))
    for url in html_links(html).values():
        assert url in text


def test_headers_identify_sender_recipient_and_survey() -> None:
    msg = received(build())
    _, html = parts(msg)
    unsubscribe = html_links(html)["Unsubscribe from these surveys"]
    assert msg["From"] == "Acme Support <help@acme.test>"
    assert msg["To"] == "Jane Doe <jane@example.com>"
    assert msg["Subject"] == "Did we solve it? Printer on fire"
    assert msg["Date"] == "Mon, 10 Mar 2025 12:00:00 +0000"
    assert msg["Message-ID"] == "<care-survey.zendesk.42@acme.test>"
    assert msg["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["X-CARE-Survey"] == "zendesk:42"
    assert msg["Auto-Submitted"] == "auto-generated"


def test_list_unsubscribe_is_written_as_a_plain_url_not_encoded_words() -> None:
    raw = build().as_bytes()
    line = next(x for x in raw.split(b"\n") if x.startswith(b"List-Unsubscribe:"))
    assert line.startswith(b"List-Unsubscribe: <" + BASE.encode() + b"/unsubscribe/")
    assert line.endswith(b">")


def test_body_lines_stay_within_mime_limits() -> None:
    msg = build(replace(CANDIDATE, requester_name="Jörg Müller", subject="Drucker " * 40))
    body = msg.as_bytes().split(b"\n\n", 1)[1]
    assert max(len(line) for line in body.split(b"\n")) <= 78
    assert all(byte < 128 for byte in msg.as_bytes())
    assert parts(received(msg))[0].startswith("Hi Jörg,")


def test_message_id_is_stable_for_a_ticket_and_differs_between_tickets() -> None:
    first = build()["Message-ID"]
    later = build(now=NOW + timedelta(days=1))["Message-ID"]
    other = build(replace(CANDIDATE, ticket_id="43"))["Message-ID"]
    assert first == later != other


def test_message_id_encodes_characters_an_id_cannot_carry() -> None:
    assert message_id("zd eu", "a.b@c>", "acme.test") == (
        "<care-survey.zd%20eu.a%2Eb%40c%3E@acme.test>"
    )
    assert message_id("a.b", "c", "x.test") != message_id("a", "b.c", "x.test")


def test_sender_domain_overrides_the_message_id_domain() -> None:
    assert build(sender_domain="mail.acme.test")["Message-ID"].endswith("@mail.acme.test>")


def test_subject_follows_the_configured_format() -> None:
    policy = Policy(survey=Survey(sender="help@acme.test", subject="[Acme] {subject}: solved?"))
    assert build(policy=policy)["Subject"] == "[Acme] Printer on fire: solved?"


def test_bad_subject_format_names_the_setting() -> None:
    policy = Policy(survey=Survey(sender="help@acme.test", subject="{ticket} solved?"))
    with pytest.raises(ValueError, match=r"survey\.subject"):
        build(policy=policy)


def test_html_escapes_markup_in_subject_and_name() -> None:
    hostile = replace(
        CANDIDATE,
        requester_name="<b>Jane</b> Doe",
        subject="<script>alert('x')</script> & more",
    )
    text, html = parts(received(build(hostile)))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in html
    assert "Hi &lt;b&gt;Jane&lt;/b&gt;," in html
    assert "<script>alert('x')</script> & more" in text  # plain text is not escaped


def test_line_breaks_in_subject_and_name_cannot_inject_headers() -> None:
    hostile = replace(
        CANDIDATE, requester_name="Jane\r\nBcc: all@x.test", subject="Hi\nBcc: all@x.test"
    )
    msg = received(build(hostile))
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Did we solve it? Hi Bcc: all@x.test"


def test_html_is_self_contained_and_readable_on_a_phone() -> None:
    _, html = parts(build())
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html and "max-width:" in html
    for external in ("<img", "<link", "<script", "src=", "url("):
        assert external not in html
    assert all(url.startswith(BASE + "/") for url in html_links(html).values())


def test_requester_without_address_gets_no_message() -> None:
    with pytest.raises(ValueError, match="no requester e-mail"):
        build(replace(CANDIDATE, requester_email=None))
    with pytest.raises(ValueError, match="cannot mail"):
        build(replace(CANDIDATE, requester_email="jane@@example.com"))


def test_relative_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="CARE_SURVEY_BASE_URL"):
        build(base_url="/survey")


# --- templates ----------------------------------------------------------------------


def test_user_template_overrides_the_bundled_one(tmp_path: Path) -> None:
    (tmp_path / "survey.txt.j2").write_text("Hello {{ first_name }}! {{ solved_url }}\n")
    text, html = parts(build(templates_dir=str(tmp_path)))
    assert text.startswith("Hello Jane! " + BASE + "/s/")
    assert "Did we solve it?" in html  # the bundled HTML template still applies


def test_policy_templates_dir_is_used_by_default(tmp_path: Path) -> None:
    (tmp_path / "survey.html.j2").write_text("<p>{{ subject }}</p>\n")
    policy = POLICY.model_copy(update={"templates_dir": str(tmp_path)})
    _, html = parts(build(replace(CANDIDATE, subject="A & B"), policy=policy))
    assert html == "<p>A &amp; B</p>\n"


def test_user_templates_run_in_a_sandbox(tmp_path: Path) -> None:
    (tmp_path / "survey.txt.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(SecurityError):
        build(templates_dir=str(tmp_path))


def test_missing_templates_dir_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="is not a folder"):
        build(templates_dir=str(tmp_path / "nope"))
