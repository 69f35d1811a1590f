"""The signature checks of both sources, with real HMACs (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from care.domain.error_events import stale, verify_generic, verify_sentry
from tests.events.sentry_examples import ERROR
from tests.events.signing import (
    EVENTS_SECRET,
    SENTRY_SECRET,
    care_signature,
    sentry_body,
    sentry_signature,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
STAMP = str(int(NOW.timestamp()))
BODY = b'{"event_id":"evt-1","customer_email":"ann@example.com"}'


# -- Sentry -------------------------------------------------------------------------


def test_sentry_signature_of_the_raw_body_is_valid() -> None:
    body = sentry_body(ERROR)
    assert verify_sentry(body, sentry_signature(body), SENTRY_SECRET)
    assert verify_sentry(body, sentry_signature(body).upper(), SENTRY_SECRET)


def test_sentry_signature_of_the_compact_reserialisation_is_valid() -> None:
    # The docs' example checks HMAC(JSON.stringify(request.body)): a compact form.
    body = sentry_body(ERROR)
    compact = json.dumps(ERROR, separators=(",", ":")).encode()
    assert verify_sentry(body, sentry_signature(compact), SENTRY_SECRET)


def test_sentry_signature_with_the_wrong_secret_is_refused() -> None:
    body = sentry_body(ERROR)
    assert not verify_sentry(body, sentry_signature(body, "0" * 64), SENTRY_SECRET)


def test_sentry_signature_of_a_tampered_body_is_refused() -> None:
    body = sentry_body(ERROR)
    signature = sentry_signature(body)
    tampered = body.replace(b"blooopy", b"bloopy")
    assert not verify_sentry(tampered, signature, SENTRY_SECRET)


@pytest.mark.parametrize("signature", ["", "abc", "sha256=" + "0" * 64, "é" * 64])
def test_sentry_signature_missing_or_malformed_is_refused(signature: str) -> None:
    assert not verify_sentry(BODY, signature, SENTRY_SECRET)


def test_sentry_signature_without_a_secret_is_refused() -> None:
    assert not verify_sentry(BODY, sentry_signature(BODY, ""), "")


def test_sentry_signature_of_a_body_that_is_not_json_is_checked_raw() -> None:
    body = b"\xff\xfe not json"
    assert verify_sentry(body, sentry_signature(body), SENTRY_SECRET)
    assert not verify_sentry(body, sentry_signature(b"other"), SENTRY_SECRET)


# -- the generic event --------------------------------------------------------------


def test_generic_signature_is_valid() -> None:
    assert verify_generic(BODY, STAMP, care_signature(BODY, STAMP), EVENTS_SECRET, NOW) is None


def test_generic_signature_with_the_wrong_secret_is_refused() -> None:
    signature = care_signature(BODY, STAMP, "another-secret-0123456789abcdefghij")
    why = verify_generic(BODY, STAMP, signature, EVENTS_SECRET, NOW)
    assert why == "X-Care-Signature does not match the body"


def test_generic_signature_of_a_tampered_body_is_refused() -> None:
    signature = care_signature(BODY, STAMP)
    why = verify_generic(BODY + b" ", STAMP, signature, EVENTS_SECRET, NOW)
    assert why == "X-Care-Signature does not match the body"


def test_generic_signature_of_another_timestamp_is_refused() -> None:
    # The timestamp is signed: moving it to look fresh breaks the signature.
    old = str(int(NOW.timestamp()) - 3600)
    signature = care_signature(BODY, old)
    assert verify_generic(BODY, STAMP, signature, EVENTS_SECRET, NOW) == (
        "X-Care-Signature does not match the body"
    )


@pytest.mark.parametrize(
    ("offset", "word"), [(timedelta(minutes=-6), "old"), (timedelta(minutes=6), "future")]
)
def test_generic_timestamp_more_than_five_minutes_off_is_refused(
    offset: timedelta, word: str
) -> None:
    stamp = str(int((NOW + offset).timestamp()))
    why = verify_generic(BODY, stamp, care_signature(BODY, stamp), EVENTS_SECRET, NOW)
    assert why is not None and word in why and "360 s" in why


@pytest.mark.parametrize("offset", [timedelta(minutes=-5), timedelta(minutes=5)])
def test_generic_timestamp_five_minutes_off_is_accepted(offset: timedelta) -> None:
    stamp = str(int((NOW + offset).timestamp()))
    assert verify_generic(BODY, stamp, care_signature(BODY, stamp), EVENTS_SECRET, NOW) is None


@pytest.mark.parametrize(
    ("stamp", "signature", "reason"),
    [
        ("", "sha256=" + "0" * 64, "X-Care-Timestamp is missing"),
        ("soon", "sha256=" + "0" * 64, "X-Care-Timestamp is not Unix seconds"),
        (STAMP, "", "X-Care-Signature is missing"),
        (STAMP, "0" * 64, "X-Care-Signature is not sha256=<64 hex digits>"),
        (STAMP, "sha1=" + "0" * 64, "X-Care-Signature is not sha256=<64 hex digits>"),
        (STAMP, "sha256=xyz", "X-Care-Signature is not sha256=<64 hex digits>"),
    ],
)
def test_generic_headers_missing_or_malformed_are_refused(
    stamp: str, signature: str, reason: str
) -> None:
    assert verify_generic(BODY, stamp, signature, EVENTS_SECRET, NOW) == reason


def test_generic_without_a_secret_is_refused() -> None:
    assert verify_generic(BODY, STAMP, care_signature(BODY, STAMP, ""), "", NOW) is not None


def test_stale_names_the_header() -> None:
    assert stale(STAMP, NOW, "Sentry-Hook-Timestamp") is None
    why = stale(str(int(NOW.timestamp()) - 301), NOW, "Sentry-Hook-Timestamp")
    assert why is not None and why.startswith("Sentry-Hook-Timestamp is 301 s old")
