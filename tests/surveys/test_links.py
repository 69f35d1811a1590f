"""The signed tokens of the survey links: opaque, bound to one survey, tamper-evident."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from care.domain.legacy_links import sign_legacy
from care.domain.survey_links import (
    InvalidToken,
    SurveyClaim,
    SurveyRef,
    answer_url,
    sign,
    valid_ticket_id,
    verify,
)

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(days=30)
SECRET = "test-signing-key-0123456789abcdef"
SURVEY = SurveyRef(7, "zendesk", "42", "0f" * 16)


def token(answer: Any = "solved", secret: str = SECRET, survey: SurveyRef = SURVEY) -> str:
    return sign(secret, survey, answer, EXPIRES)


def payload_bytes(token: str) -> bytes:
    text = token.split(".")[0]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_token_round_trip_gives_back_the_claim() -> None:
    assert verify(SECRET, token("unsolved"), NOW) == SurveyClaim(
        "zendesk", "42", "unsolved", EXPIRES, SURVEY
    )


def test_token_is_opaque_short_and_url_safe() -> None:
    made = token()
    assert set(made) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(made) < 120
    assert not payload_bytes(made).startswith(b"[")  # not JSON: nothing to read at a glance


def test_every_changed_character_is_detected() -> None:
    made = token()
    for i, char in enumerate(made):
        changed = made[:i] + ("A" if char != "A" else "B") + made[i + 1 :]
        with pytest.raises(InvalidToken) as caught:
            verify(SECRET, changed, NOW)
        assert caught.value.reason in ("tampered", "malformed")


def test_token_signed_with_another_secret_is_tampered() -> None:
    with pytest.raises(InvalidToken) as caught:
        verify(SECRET, token(secret="someone-else-0123456789abcdef0123"), NOW)
    assert caught.value.reason == "tampered"


def test_a_signature_does_not_carry_over_to_another_survey() -> None:
    other = token(survey=SurveyRef(8, "zendesk", "43", "1e" * 16))
    forged = other.split(".")[0] + "." + token().split(".")[1]
    with pytest.raises(InvalidToken) as caught:
        verify(SECRET, forged, NOW)
    assert caught.value.reason == "tampered"


def test_token_expires_at_its_expiry_time() -> None:
    assert verify(SECRET, token(), EXPIRES - timedelta(seconds=1)).answer == "solved"
    with pytest.raises(InvalidToken) as caught:
        verify(SECRET, token(), EXPIRES)
    assert caught.value.reason == "expired"
    assert verify(SECRET, token("unsubscribe"), EXPIRES, allow_expired=True).survey == SURVEY


@pytest.mark.parametrize("bad", ["", "abc", "a.b.c", "a b.c", "é.x", "x" * 3000, "a.b"])
def test_malformed_tokens_are_refused(bad: str) -> None:
    with pytest.raises(InvalidToken) as caught:
        verify(SECRET, bad, NOW)
    assert caught.value.reason in ("malformed", "tampered")


@pytest.mark.parametrize("ticket_id", ["105,106,118", "105 ", "-1", "0", "1e3", "٣", "", "x"])
def test_ticket_ids_must_have_the_helpdesk_format(ticket_id: str) -> None:
    assert not valid_ticket_id("zendesk", ticket_id)
    assert not valid_ticket_id("freshdesk", ticket_id)
    with pytest.raises(ValueError, match="ticket id"):
        token(survey=SurveyRef(7, "zendesk", ticket_id, "0f" * 16))
    legacy = sign_legacy(SECRET, "zendesk", ticket_id, "jane@example.com", "unsolved", EXPIRES)
    with pytest.raises(InvalidToken) as caught:  # signed with the real key, and still refused
        verify(SECRET, legacy, NOW)
    assert caught.value.reason == "malformed"


def test_only_known_helpdesks_have_ticket_ids() -> None:
    assert valid_ticket_id("zendesk", "105") and valid_ticket_id("freshdesk", "12345678901")
    assert not valid_ticket_id("helpscout", "105")


def test_a_link_of_the_first_format_still_verifies_with_its_address() -> None:
    legacy = sign_legacy(SECRET, "zendesk", "42", "jane@example.com", "unsolved", EXPIRES)
    assert verify(SECRET, legacy, NOW) == SurveyClaim(
        "zendesk", "42", "unsolved", EXPIRES, requester_email="jane@example.com"
    )
    with pytest.raises(InvalidToken) as caught:
        verify(SECRET, legacy, EXPIRES)
    assert caught.value.reason == "expired"
    with pytest.raises(InvalidToken) as caught:
        verify(SECRET, legacy[:-2] + ("AA" if not legacy.endswith("AA") else "BB"), NOW)
    assert caught.value.reason == "tampered"


def test_signing_needs_a_secret_a_known_answer_and_a_nonce() -> None:
    with pytest.raises(ValueError, match="CARE_SURVEY_SECRET"):
        token(secret="")
    with pytest.raises(ValueError, match="answer must be one of"):
        token(answer="maybe")
    with pytest.raises(ValueError, match="link nonce"):
        token(survey=SurveyRef(7, "zendesk", "42", "not-a-nonce"))


def test_answer_url_strips_trailing_slashes_and_routes_unsubscribe() -> None:
    assert answer_url("https://x.test//", "t.s") == "https://x.test/s/t.s"
    unsubscribe = token("unsubscribe")
    assert answer_url("https://x.test/", unsubscribe) == f"https://x.test/unsubscribe/{unsubscribe}"
    assert answer_url("http://127.0.0.1:8080", token()).startswith("http://127.0.0.1:8080/s/")
    legacy = sign_legacy(SECRET, "zendesk", "42", "j@x.test", "unsubscribe", EXPIRES)
    assert answer_url("https://x.test", legacy).startswith("https://x.test/unsubscribe/")
