"""The survey endpoint under abuse, over real HTTP: every response carries the security
headers, no redirect echoes the Host header, a stalled body times out, and a client that
goes away is not an ERROR traceback."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.survey_server.conftest import Survey, solved_tickets

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


def assert_security_headers(response: requests.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.status_code, name)
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, response.status_code


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= logging.ERROR]

    def wait_for(self, text: str, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in r.getMessage() for r in self.records):
                return True
            time.sleep(0.05)
        return False


@pytest.fixture
def server_log() -> Iterator[Collected]:
    """Everything the endpoint and uvicorn log (uvicorn's loggers do not propagate)."""
    handler = Collected()
    loggers = [logging.getLogger(name) for name in ("care", "uvicorn.error", "uvicorn")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
    logging.getLogger("care").setLevel(logging.INFO)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def raw_request(url: str, head: str, body: bytes = b"") -> socket.socket:
    """A connection that has sent `head` (request line and headers) and `body`, no more."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=15)
    sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    return sock


def read_response(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_every_response_carries_the_security_headers_a_500_too(
    start_survey, zendesk, tmp_path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    # Loads fine at start; fails when rendered (no such field).
    (templates / "survey.answer.html.j2").write_text("{{ no_such_field.at_all }}")
    survey = start_survey(zendesk, toml=f'templates_dir = "{templates.as_posix()}"\n')

    refusals = [
        ("GET", "/admin", 404),
        ("GET", "/s/not-a-token", 400),
        ("PUT", "/s/not-a-token", 405),
        ("DELETE", "/unsubscribe/not-a-token", 405),
    ]
    for method, path, status in refusals:
        response = requests.request(method, survey.server.url + path, timeout=10)
        assert response.status_code == status
        assert_security_headers(response)

    failed = survey.get(survey.link("solved", solved_tickets(zendesk)[0]))

    assert failed.status_code == 500 and "Something went wrong" in failed.text
    assert_security_headers(failed)


def test_a_trailing_slash_is_not_redirected_to_the_host_the_client_named(survey: Survey) -> None:
    link = survey.link("solved", solved_tickets(survey.sandbox)[0])
    for url in (link + "/", survey.server.url + "/s/"):
        response = requests.get(
            url, headers={"Host": "evil.example"}, timeout=10, allow_redirects=False
        )
        assert response.status_code == 404, url
        assert "Location" not in response.headers
        assert "evil.example" not in response.text
        assert_security_headers(response)


def test_a_form_body_that_stalls_is_refused_with_408_and_the_connection_closed(
    start_survey, zendesk, server_log: Collected
) -> None:
    survey = start_survey(zendesk, body_timeout_s=1.0)
    link = survey.link("unsolved", solved_tickets(zendesk)[0])
    path = urlsplit(link).path
    started = time.monotonic()

    sock = raw_request(
        link,
        f"POST {path} HTTP/1.1\nHost: survey.test\n"
        "Content-Type: application/x-www-form-urlencoded\nContent-Length: 100\n",
        b"send=answer&comm",  # and then nothing more
    )
    with sock:
        response = read_response(sock)  # returns only once the server closes
    elapsed = time.monotonic() - started

    status_line, _, rest = response.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 408 Request Timeout", response[:200]
    assert b"cache-control: no-store" in rest.lower() and b"Too slow" in rest
    assert elapsed < 8
    assert survey.answer(solved_tickets(zendesk)[0]) is None
    assert server_log.errors() == []


def test_a_client_that_goes_away_mid_form_is_no_error(
    survey: Survey, server_log: Collected
) -> None:
    ticket_id = solved_tickets(survey.sandbox)[0]
    link = survey.link("unsolved", ticket_id)
    sock = raw_request(
        link,
        f"POST {urlsplit(link).path} HTTP/1.1\nHost: survey.test\nContent-Length: 100\n",
        b"send=answer",
    )
    time.sleep(0.3)  # the endpoint is reading the body
    sock.close()

    assert server_log.wait_for("the client went away"), [r.getMessage() for r in server_log.records]
    time.sleep(0.3)
    assert server_log.errors() == []
    assert survey.answer(ticket_id) is None
    assert requests.get(link, timeout=10).status_code == 200  # and the endpoint carries on


def test_a_request_uvicorn_cannot_parse_is_refused_with_the_security_headers(
    survey: Survey,
) -> None:
    """Such a request never reaches the app: the server's own 400 carries them too."""
    with raw_request(survey.server.url, "NOT HTTP AT ALL\n") as sock:
        response = read_response(sock)

    status_line, _, rest = response.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 400 Bad Request", response[:200]
    head = rest.lower()
    assert b"cache-control: no-store" in head and b"referrer-policy: no-referrer" in head
    assert b"x-content-type-options: nosniff" in head and b"frame-ancestors 'none'" in head
