"""Reading Sentry's webhooks and CARE's generic event into `ErrorEvent` (pure)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from care.domain.error_events import (
    MAX_MESSAGE,
    MAX_TITLE,
    BadEvent,
    from_generic,
    from_sentry,
    not_acted_on,
)
from tests.events.sentry_examples import ERROR, EVENT_ALERT, ISSUE, with_user


def generic(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event_id": "evt-1",
        "customer_email": "Ann.Customer@Example.COM",
        "customer_id": "cus_42",
        "url": "https://app.example.com/checkout",
        "error_code": "PAYMENT_DECLINED",
        "message": "The card was declined.",
        "occurred_at": "2026-12-06T10:00:00+01:00",
    }
    event.update(changes)
    return {k: v for k, v in event.items() if v is not None}


# -- Sentry: the published examples -------------------------------------------------


def test_sentry_error_example_is_read() -> None:
    event = from_sentry("error", ERROR)
    assert event is not None
    assert event.source == "sentry"
    assert event.event_id == "bb78c1407cea4519aa397afc059c793d"
    assert event.fingerprint == "1170820242"  # the issue id: the same error, the same value
    assert event.title == "ReferenceError: blooopy is not defined"
    assert event.message == "blooopy is not defined"
    assert event.error_code == "ReferenceError"
    assert event.url == "https://null.jsbin.com/runner"
    assert event.occurred_at == datetime(2019, 8, 19, 20, 58, 37, 391000, tzinfo=UTC)
    # The example's user is an IP address only: no customer to reach.
    assert (event.customer_email, event.customer_id) == (None, None)


def test_sentry_event_alert_example_is_read() -> None:
    event = from_sentry("event_alert", EVENT_ALERT)
    assert event is not None
    assert event.event_id == "e4874d664c3540c1a32eab185f12c5ab"
    assert event.fingerprint == "1117540176"
    assert event.message == "heck is not defined"
    assert event.occurred_at == datetime(2019, 8, 19, 21, 6, 17, 677000, tzinfo=UTC)


def test_sentry_user_gives_the_customer_in_lower_case() -> None:
    payload = with_user(ERROR, "error", id=42, email=" Ann@Example.COM ", ip_address="1.2.3.4")
    event = from_sentry("error", payload)
    assert event is not None
    assert event.customer_email == "ann@example.com"
    assert event.customer_id == "42"


def test_sentry_user_with_a_malformed_email_has_none() -> None:
    event = from_sentry("error", with_user(ERROR, "error", id="u1", email="not an address"))
    assert event is not None
    assert (event.customer_email, event.customer_id) == (None, "u1")


def test_sentry_issue_names_no_customer_and_is_not_acted_on() -> None:
    assert from_sentry("issue", ISSUE) is None
    assert "no customer" in not_acted_on("issue")


@pytest.mark.parametrize("resource", ["installation", "comment", "metric_alert", "seer", ""])
def test_other_sentry_resources_are_not_acted_on(resource: str) -> None:
    assert from_sentry(resource, {"anything": True}) is None


def test_sentry_event_falls_back_to_its_timestamp() -> None:
    payload = copy.deepcopy(ERROR)
    del payload["data"]["error"]["datetime"]
    event = from_sentry("error", payload)
    assert event is not None
    assert event.occurred_at == datetime.fromtimestamp(1566248317.391, UTC)


@pytest.mark.parametrize(
    ("resource", "payload", "reason"),
    [
        ("error", {}, "data is missing"),
        ("error", {"data": {"event": {}}}, "data.error is missing"),
        ("event_alert", {"data": {"event": []}}, "data.event is missing"),
        ("error", {"data": {"error": {"issue_id": "1"}}}, "data.error.event_id"),
        ("error", {"data": {"error": {"event_id": {"x": 1}}}}, "not a string"),
        ("error", {"data": {"error": {"event_id": "e", "issue_id": "1"}}}, "datetime"),
        ("error", {"data": {"error": {"event_id": "e", "datetime": "x"}}}, "issue_id"),
        ("issue", {"data": {"issue": {}}}, "data.issue.id"),
    ],
)
def test_sentry_payload_of_the_wrong_shape_is_a_bad_event(
    resource: str, payload: dict[str, Any], reason: str
) -> None:
    with pytest.raises(BadEvent) as caught:
        from_sentry(resource, payload)
    assert reason in caught.value.reason


# -- the generic event --------------------------------------------------------------


def test_generic_event_is_read() -> None:
    event = from_generic(generic())
    assert event.source == "generic"
    assert event.event_id == "evt-1"
    assert event.fingerprint == "PAYMENT_DECLINED"
    assert event.customer_email == "ann.customer@example.com"
    assert event.customer_id == "cus_42"
    assert event.title == "PAYMENT_DECLINED"
    assert event.message == "The card was declined."
    assert event.url == "https://app.example.com/checkout"
    assert event.occurred_at == datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_generic_event_with_an_id_only_is_read() -> None:
    event = from_generic(generic(customer_email=None, occurred_at="2026-12-06T09:00:00Z"))
    assert (event.customer_email, event.customer_id) == (None, "cus_42")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"event_id": None}, "event_id is missing"),
        ({"event_id": "  "}, "event_id is missing"),
        ({"event_id": True}, "not a string or an integer"),
        ({"customer_email": None, "customer_id": None}, "names no customer"),
        ({"customer_email": "nobody"}, "not an e-mail address"),
        ({"customer_email": ["a@b.c"]}, "customer_email is not a string"),
        ({"error_code": None, "message": None}, "neither error_code nor message"),
        ({"occurred_at": None}, "occurred_at is missing"),
        ({"occurred_at": "yesterday"}, "not an ISO 8601 time"),
        ({"occurred_at": "2026-12-06T10:00:00"}, "no time zone"),
        ({"message": 12}, "message is not a string"),
    ],
)
def test_generic_event_of_the_wrong_shape_is_a_bad_event(
    changes: dict[str, Any], reason: str
) -> None:
    payload = generic()
    payload.update(changes)
    payload = {k: v for k, v in payload.items() if v is not None}
    with pytest.raises(BadEvent) as caught:
        from_generic(payload)
    assert reason in caught.value.reason


def test_generic_event_that_is_not_an_object_is_a_bad_event() -> None:
    with pytest.raises(BadEvent):
        from_generic(["not", "an", "object"])  # type: ignore[arg-type]


# -- hostile text -------------------------------------------------------------------


def test_nul_bidi_and_lone_surrogates_are_cleaned_from_every_field() -> None:
    event = from_generic(
        generic(
            event_id="evt\x00-2",
            error_code="E\u202eRR",
            message="bad\x00 \ud800 text \u2066here\u2069",
            url="https://app.example.com/\x00x",
            customer_id="cus\u202e_9",
            title="Title\x00\nwith break",
        )
    )
    for text in (event.event_id, event.error_code, event.message, event.url, event.title):
        assert text is not None
        assert "\x00" not in text
        assert not any(c in text for c in "\u202e\u2066\u2069")
        text.encode("utf-8")  # no lone surrogate left: it would raise
    assert event.event_id == "evt-2"
    assert event.message == "bad \ufffd text here"
    assert event.title == "Title with break"
    assert event.customer_id == "cus_9"


def test_a_one_megabyte_message_is_cut() -> None:
    event = from_generic(generic(message="x" * 1_000_000, title="t" * 10_000))
    assert len(event.message) == MAX_MESSAGE
    assert len(event.title) == MAX_TITLE


def test_sentry_hostile_text_is_cleaned() -> None:
    payload = copy.deepcopy(ERROR)
    error = payload["data"]["error"]
    error["title"] = "Reference\x00Error \u202egnp.exe"
    error["exception"]["values"][0]["value"] = "boom\x00 \udfff" + "y" * 1_000_000
    error["user"] = {"email": "ann\x00@example.com", "id": "u\u202e1"}
    event = from_sentry("error", payload)
    assert event is not None
    assert event.title == "ReferenceError gnp.exe"
    assert event.message.startswith("boom \ufffd") and len(event.message) == MAX_MESSAGE
    assert event.customer_email == "ann@example.com"
    assert event.customer_id == "u1"
