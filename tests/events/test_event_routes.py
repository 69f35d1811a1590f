"""POST /events/sentry and POST /events/error over real HTTP: 202 once stored (and for a
redelivery), 401 for a bad signature or a stale time, 400 for a bad body, 413 past
256 KB, 404 without the route's secret; nothing stored on any 4xx."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.events.conftest import NOW, Intake
from tests.events.sentry_examples import ERROR, EVENT_ALERT, ISSUE, with_user
from tests.events.signing import sentry_body, sentry_signature

SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def generic_event(**changes: Any) -> dict[str, Any]:
    event = {
        "event_id": "evt-1",
        "customer_email": "Ann@Example.com",
        "url": "https://app.example.com/checkout",
        "error_code": "PAYMENT_DECLINED",
        "message": "The card was declined.",
        "occurred_at": "2026-12-06T11:58:00Z",
    }
    return event | changes


def nothing_stored(intake: Intake) -> bool:
    return intake.store.error_event_counts() == {"new": 0}


# -- accepted -----------------------------------------------------------------------


def test_a_sentry_error_is_stored_and_answered_202(intake: Intake) -> None:
    payload = with_user(ERROR, "error", id="42", email="Ann@Example.com")
    response = intake.sentry("error", payload)
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": True, "duplicate": False}
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    [stored] = intake.store.pending_error_events(10)
    assert stored.event.source == "sentry"
    assert stored.event.event_id == "bb78c1407cea4519aa397afc059c793d"
    assert stored.event.customer_email == "ann@example.com"
    assert stored.received_at == NOW


def test_a_sentry_redelivery_is_a_duplicate(intake: Intake) -> None:
    assert intake.sentry("event_alert", EVENT_ALERT).json() == {
        "accepted": True,
        "duplicate": False,
    }
    again = intake.sentry("event_alert", EVENT_ALERT)
    assert again.status_code == 202
    assert again.json() == {"accepted": True, "duplicate": True}
    assert intake.store.error_event_counts() == {"new": 1}


@pytest.mark.parametrize(
    ("resource", "payload"),
    [
        ("issue", ISSUE),
        ("installation", {"action": "created", "data": {"installation": {}}}),
        ("comment", {"action": "created", "data": {"comment": "hi"}}),
        ("metric_alert", {"action": "critical", "data": {}}),
    ],
)
def test_a_sentry_resource_care_does_not_act_on_is_202_and_not_stored(
    intake: Intake, resource: str, payload: dict[str, Any]
) -> None:
    response = intake.sentry(resource, payload)
    assert response.status_code == 202
    assert response.json()["accepted"] is True and "ignored" in response.json()
    assert nothing_stored(intake)


def test_a_generic_event_is_stored_then_a_duplicate(intake: Intake) -> None:
    first = intake.generic(generic_event())
    assert (first.status_code, first.json()) == (202, {"accepted": True, "duplicate": False})
    again = intake.generic(generic_event(message="sent twice"))
    assert (again.status_code, again.json()) == (202, {"accepted": True, "duplicate": True})
    [stored] = intake.store.pending_error_events(10)
    assert stored.event.message == "The card was declined."
    assert stored.event.customer_email == "ann@example.com"


def test_a_sentry_webhook_without_a_timestamp_is_accepted(intake: Intake) -> None:
    assert intake.sentry("error", ERROR, timestamp="").status_code == 202


# -- refused, nothing stored --------------------------------------------------------


def test_sentry_with_a_wrong_signature_is_401(intake: Intake) -> None:
    body = sentry_body(ERROR)
    response = intake.sentry("error", body=body, signature=sentry_signature(body, "f" * 64))
    assert response.status_code == 401
    assert response.json() == {
        "accepted": False,
        "error": "Sentry-Hook-Signature does not match the body",
    }
    assert "WWW-Authenticate" in response.headers
    assert nothing_stored(intake)


def test_sentry_without_a_signature_is_401(intake: Intake) -> None:
    response = intake.sentry("error", ERROR, signature="")
    assert response.status_code == 401
    assert "missing" in response.json()["error"]
    assert nothing_stored(intake)


def test_sentry_with_a_tampered_body_is_401(intake: Intake) -> None:
    body = sentry_body(ERROR)
    signature = sentry_signature(body)
    tampered = body.replace(b"blooopy", b"bloopy")
    assert intake.sentry("error", body=tampered, signature=signature).status_code == 401
    assert nothing_stored(intake)


@pytest.mark.parametrize("minutes", [-6, 6])
def test_sentry_with_a_stale_timestamp_is_401(intake: Intake, minutes: int) -> None:
    stamp = str(int((NOW + timedelta(minutes=minutes)).timestamp()))
    response = intake.sentry("error", ERROR, timestamp=stamp)
    assert response.status_code == 401
    assert response.json()["error"].startswith("Sentry-Hook-Timestamp is 360 s")
    assert nothing_stored(intake)


@pytest.mark.parametrize("minutes", [-6, 6])
def test_generic_with_a_stale_timestamp_is_401(intake: Intake, minutes: int) -> None:
    stamp = str(int((NOW + timedelta(minutes=minutes)).timestamp()))
    response = intake.generic(generic_event(), timestamp=stamp)
    assert response.status_code == 401
    assert "more than 300 s off" in response.json()["error"]
    assert nothing_stored(intake)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"signature": "sha256=" + "0" * 64}, "does not match"),
        ({"signature": ""}, "X-Care-Signature is missing"),
        ({"timestamp": ""}, "X-Care-Timestamp is missing"),
    ],
)
def test_generic_with_a_bad_or_missing_header_is_401(
    intake: Intake, changes: dict[str, str], reason: str
) -> None:
    response = intake.generic(generic_event(), **changes)
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert nothing_stored(intake)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (json.dumps(generic_event(occurred_at="yesterday")).encode(), "occurred_at"),
        (json.dumps(generic_event(customer_email=None)).encode(), "customer_email"),
    ],
)
def test_generic_malformed_or_of_the_wrong_shape_is_400(
    intake: Intake, body: bytes, reason: str
) -> None:
    response = intake.generic(body=body)
    assert response.status_code == 400
    assert reason in response.json()["error"]
    assert nothing_stored(intake)


def test_sentry_of_the_wrong_shape_is_400(intake: Intake) -> None:
    response = intake.sentry("error", {"action": "created", "data": {"event": {}}})
    assert response.status_code == 400
    assert response.json()["error"] == "data.error is missing or not an object"
    assert nothing_stored(intake)


def test_sentry_without_a_resource_is_400(intake: Intake) -> None:
    assert intake.sentry("", ERROR).status_code == 400
    assert nothing_stored(intake)


def test_a_body_over_256_kb_is_413(intake: Intake) -> None:
    big = generic_event(message="x" * (300 * 1024))
    response = intake.generic(big)
    assert response.status_code == 413
    assert response.headers.get("Connection") == "close"
    assert nothing_stored(intake)


def test_a_body_over_256_kb_without_content_length_is_413(intake: Intake) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 8192

    response = requests.post(
        intake.server.url + "/events/error",
        data=chunks(),
        headers={"X-Care-Timestamp": "1", "X-Care-Signature": "sha256=" + "0" * 64},
        timeout=10,
    )
    assert response.status_code == 413
    assert nothing_stored(intake)


def test_a_stalled_body_is_408(intake: Intake) -> None:
    parts = urlsplit(intake.server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=15) as sock:
        head = (
            "POST /events/error HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 100\r\n\r\n{"
        )
        sock.sendall(head.encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 408")
    assert nothing_stored(intake)


def test_a_long_sentry_message_with_nul_is_stored_cleaned_and_cut(intake: Intake) -> None:
    payload = with_user(ERROR, "error", email="ann@example.com")
    # ~210 KB on the wire: under the limit, yet 50 times what is kept.
    payload["data"]["error"]["exception"]["values"][0]["value"] = ("y" * 99 + "\x00") * 2_000
    response = intake.sentry("error", payload)
    assert response.status_code == 202
    [stored] = intake.store.pending_error_events(1)
    assert "\x00" not in stored.event.message and len(stored.event.message) == 4_000


# -- routes without their secret ----------------------------------------------------


def test_without_the_sentry_secret_its_route_is_404(start_intake: Callable[..., Intake]) -> None:
    intake = start_intake(CARE_SENTRY_CLIENT_SECRET="")
    assert intake.sentry("error", ERROR).status_code == 404
    assert intake.generic(generic_event()).status_code == 202


def test_without_the_events_secret_its_route_is_404(start_intake: Callable[..., Intake]) -> None:
    intake = start_intake(CARE_EVENTS_SECRET="")
    assert intake.generic(generic_event()).status_code == 404
    assert intake.sentry("error", ERROR).status_code == 202
    assert intake.store.error_event_counts() == {"new": 1}


def test_get_on_an_event_route_is_405(intake: Intake) -> None:
    response = requests.get(intake.server.url + "/events/error", timeout=10)
    assert response.status_code == 405
    assert nothing_stored(intake)


def test_neither_secret_nor_signature_is_logged(
    intake: Intake, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.events.signing import EVENTS_SECRET, SENTRY_SECRET

    caplog.set_level("DEBUG", logger="care")
    body = sentry_body(ERROR)
    bad = sentry_signature(body, "e" * 64)
    intake.sentry("error", body=body, signature=bad)
    intake.sentry("error", with_user(ERROR, "error", email="ann.customer@example.com"))
    text = caplog.text
    assert "refused" in text and "recorded" in text
    for secret in (SENTRY_SECRET, EVENTS_SECRET, bad, sentry_signature(body)):
        assert secret not in text
    assert "ann.customer@example.com" not in text
