"""Transports: the outbox folder, and SMTP against a real aiosmtpd server on loopback."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import logging
import pickle
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from care.domain.policy import Policy, Survey
from care.domain.surveys import SurveyCandidate
from care.outbound.survey_message import build_survey_email
from care.outbound.transport import (
    OutboxTransport,
    SmtpTransport,
    Transport,
    TransportError,
    transport_from_env,
)
from tests.ports import free_port
from tests.smtp import PASSWORD, USER, Server, client_context, make_certificate
from tests.smtp import smtp_server as running_smtp_server

NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)


def survey_email(ticket_id: str = "42", to: str = "jane@example.com") -> EmailMessage:
    candidate = SurveyCandidate(
        "zendesk",
        ticket_id,
        to,
        "Jane Doe",
        "Printer on fire",
        NOW,
        NOW + dt.timedelta(days=1),
        survey_id=int(ticket_id),
        link_nonce="0f" * 16,
    )
    policy = Policy(survey=Survey(sender="Acme Support <help@acme.test>"))
    return build_survey_email(candidate, policy, "https://care.test", "key", NOW)


# --- outbox ---------------------------------------------------------------------------


def test_outbox_writes_one_eml_file_per_message(tmp_path: Path) -> None:
    OutboxTransport(tmp_path, clock=lambda: NOW).send(survey_email())
    files = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert files == ["20250310T120000Z-zendesk-42.eml"]
    raw = (tmp_path / files[0]).read_bytes()
    saved = email.message_from_bytes(raw, policy=email.policy.default)
    assert saved["Message-ID"] == "<care-survey.zendesk.42@acme.test>"
    assert saved["To"] == "Jane Doe <jane@example.com>"
    assert not list(tmp_path.glob(".tmp-*")), "the temporary file was renamed into place"


def test_outbox_writes_nothing_for_a_second_send_of_the_same_message(tmp_path: Path) -> None:
    OutboxTransport(tmp_path, clock=lambda: NOW).send(survey_email())
    later = NOW + dt.timedelta(hours=1)
    OutboxTransport(tmp_path, clock=lambda: later).send(survey_email())  # another worker
    OutboxTransport(tmp_path, clock=lambda: later).send(survey_email("43"))
    assert sorted(p.name for p in tmp_path.glob("*.eml")) == [
        "20250310T120000Z-zendesk-42.eml",
        "20250310T130000Z-zendesk-43.eml",
    ]
    assert not list(tmp_path.glob(".tmp-*"))


def test_outbox_names_other_messages_after_their_id(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["Message-ID"] = "<hello@acme.test>"
    msg.set_content("hello")
    OutboxTransport(tmp_path, clock=lambda: NOW).send(msg)
    OutboxTransport(tmp_path, clock=lambda: NOW).send(msg)
    (written,) = tmp_path.glob("*.eml")
    assert re.fullmatch(r"20250310T120000Z-[0-9a-f]{12}\.eml", written.name)


def test_outbox_creates_its_folder(tmp_path: Path) -> None:
    OutboxTransport(tmp_path / "deep" / "outbox").send(survey_email())
    assert len(list((tmp_path / "deep" / "outbox").glob("*.eml"))) == 1


def test_outbox_needs_a_message_id(tmp_path: Path) -> None:
    msg = survey_email()
    del msg["Message-ID"]
    with pytest.raises(ValueError, match="Message-ID"):
        OutboxTransport(tmp_path).send(msg)


def test_outbox_tells_whether_a_message_was_written(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path, clock=lambda: NOW)
    written, other = survey_email("42"), survey_email("43")
    outbox.send(written)
    assert outbox.delivered(str(written["Message-ID"])) is True
    assert outbox.delivered(str(other["Message-ID"])) is False
    assert OutboxTransport(tmp_path / "never-used").delivered("<x@acme.test>") is False


def test_outbox_cannot_tell_when_the_written_file_is_gone(tmp_path: Path) -> None:
    outbox = OutboxTransport(tmp_path, clock=lambda: NOW)
    msg = survey_email()
    outbox.send(msg)
    (written,) = tmp_path.glob("*.eml")
    written.unlink()  # picked up by someone, or a crash between claiming the id and the rename
    assert outbox.delivered(str(msg["Message-ID"])) is None


def test_unwritable_outbox_is_a_retryable_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(TransportError) as caught:
        OutboxTransport(blocker / "outbox").send(survey_email())
    assert caught.value.retryable


# --- an SMTP server on loopback --------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem)."""
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def smtp_server(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[Server]:
    """`@pytest.mark.parametrize("smtp_server", [{...}], indirect=True)` sets its options:
    tls ("none", "starttls", "ssl") and exclude (AUTH mechanisms not offered)."""
    options: dict[str, Any] = getattr(request, "param", {})
    with running_smtp_server(
        certificate, options.get("tls", "none"), options.get("exclude", ())
    ) as server:
        yield server


def transport(server: Server, **kwargs: Any) -> SmtpTransport:
    options: dict[str, Any] = {"tls": "none", "timeout": 5.0}
    options.update(kwargs)
    return SmtpTransport("127.0.0.1", server.port, **options)


# --- SMTP delivery ----------------------------------------------------------------------


def test_smtp_delivers_the_survey_with_its_headers(smtp_server: Server) -> None:
    transport(smtp_server).send(survey_email())
    envelope, _ = smtp_server.mailbox.received[0]
    assert envelope.mail_from == "help@acme.test"
    assert envelope.rcpt_tos == ["jane@example.com"]
    msg = smtp_server.mailbox.message()
    assert msg["Message-ID"] == "<care-survey.zendesk.42@acme.test>"
    assert msg["X-CARE-Survey"] == "zendesk:42"
    assert msg["List-Unsubscribe"].startswith("<https://care.test/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Subject"] == "Did we solve it? Printer on fire"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]


@pytest.mark.parametrize(
    ("smtp_server", "mechanism"),
    [({"exclude": ["LOGIN"]}, "PLAIN"), ({"exclude": ["PLAIN"]}, "LOGIN")],
    indirect=["smtp_server"],
)
def test_smtp_logs_in_with_the_mechanism_the_server_offers(
    smtp_server: Server, mechanism: str
) -> None:
    transport(smtp_server, user=USER, password=PASSWORD).send(survey_email())
    assert smtp_server.mailbox.logins == [(mechanism, USER.encode())]
    ((_, session),) = smtp_server.mailbox.received
    assert session.authenticated


@pytest.mark.parametrize("smtp_server", [{"tls": "starttls"}], indirect=True)
def test_smtp_starttls_with_login(smtp_server: Server, certificate: tuple[Path, Path]) -> None:
    smtp = transport(
        smtp_server,
        tls="starttls",
        user=USER,
        password=PASSWORD,
        ssl_context=client_context(certificate),
    )
    smtp.send(survey_email())
    ((_, session),) = smtp_server.mailbox.received
    assert session.ssl is not None, "the mail went over the upgraded connection"
    assert session.authenticated
    assert smtp_server.mailbox.message()["To"] == "Jane Doe <jane@example.com>"


@pytest.mark.parametrize("smtp_server", [{"tls": "ssl"}], indirect=True)
def test_smtp_implicit_tls_with_login(smtp_server: Server, certificate: tuple[Path, Path]) -> None:
    smtp = transport(
        smtp_server,
        tls="ssl",
        user=USER,
        password=PASSWORD,
        ssl_context=client_context(certificate),
    )
    smtp.send(survey_email())
    assert smtp_server.mailbox.message()["X-CARE-Survey"] == "zendesk:42"


@pytest.mark.parametrize("smtp_server", [{"tls": "starttls"}], indirect=True)
def test_smtp_refuses_an_untrusted_certificate(smtp_server: Server) -> None:
    with pytest.raises(TransportError) as caught:
        transport(smtp_server, tls="starttls").send(survey_email())
    assert not caught.value.retryable
    assert "certificate" in str(caught.value)
    assert smtp_server.mailbox.received == []


def test_smtp_starttls_against_a_server_without_it_is_final(smtp_server: Server) -> None:
    with pytest.raises(TransportError) as caught:
        transport(smtp_server, tls="starttls").send(survey_email())
    assert not caught.value.retryable
    assert "CARE_SMTP_TLS" in str(caught.value)


def test_implicit_tls_against_a_plain_server_is_final(smtp_server: Server) -> None:
    with pytest.raises(TransportError) as caught:
        transport(smtp_server, tls="ssl").send(survey_email())
    assert not caught.value.retryable
    assert "CARE_SMTP_TLS" in str(caught.value)


# --- SMTP errors ------------------------------------------------------------------------


def test_rejected_recipient_is_not_retryable(smtp_server: Server) -> None:
    with pytest.raises(TransportError) as caught:
        transport(smtp_server).send(survey_email(to="reject@example.com"))
    assert not caught.value.retryable
    assert "550" in str(caught.value) and "reject@example.com" in str(caught.value)


def test_temporary_refusal_is_retryable(smtp_server: Server) -> None:
    with pytest.raises(TransportError) as caught:
        transport(smtp_server).send(survey_email(to="later@example.com"))
    assert caught.value.retryable
    assert "451" in str(caught.value)


def test_refused_connection_is_retryable() -> None:
    with pytest.raises(TransportError) as caught:
        SmtpTransport("127.0.0.1", free_port(), tls="none", timeout=2).send(survey_email())
    assert caught.value.retryable
    assert "cannot reach SMTP 127.0.0.1" in str(caught.value)


def test_wrong_password_is_final_and_never_shown(
    smtp_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    smtp = transport(smtp_server, user=USER, password="wrong " + PASSWORD)
    with pytest.raises(TransportError) as caught:
        smtp.send(survey_email())
    assert not caught.value.retryable
    assert "535" in str(caught.value) and "login" in str(caught.value)
    for shown in (str(caught.value), repr(smtp), caplog.text):
        assert PASSWORD not in shown


@pytest.mark.parametrize("smtp_server", [{"tls": "starttls"}], indirect=True)
def test_verify_logs_in_over_starttls_and_sends_nothing(
    smtp_server: Server, certificate: tuple[Path, Path]
) -> None:
    smtp = transport(
        smtp_server,
        tls="starttls",
        user=USER,
        password=PASSWORD,
        ssl_context=client_context(certificate),
    )
    smtp.verify()
    assert [login for _, login in smtp_server.mailbox.logins] == [USER.encode()]
    assert smtp_server.mailbox.received == []


def test_verify_with_a_wrong_password_is_final_and_never_shows_it(smtp_server: Server) -> None:
    with pytest.raises(TransportError) as caught:
        transport(smtp_server, user=USER, password="wrong " + PASSWORD).verify()
    assert not caught.value.retryable
    assert "535" in str(caught.value) and PASSWORD not in str(caught.value)


def test_verify_of_a_refused_connection_says_where() -> None:
    with pytest.raises(TransportError, match=r"cannot reach SMTP 127\.0\.0\.1"):
        SmtpTransport("127.0.0.1", free_port(), tls="none", timeout=2).verify()


def test_smtp_cannot_tell_whether_a_message_was_delivered(smtp_server: Server) -> None:
    msg = survey_email()
    transport(smtp_server).send(msg)
    assert transport(smtp_server).delivered(str(msg["Message-ID"])) is None


def test_transport_error_survives_pickling() -> None:
    copy = pickle.loads(pickle.dumps(TransportError(False, "550 no such user")))
    assert (copy.retryable, str(copy)) == (False, "550 no such user")


def received_ids(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> list[str]:
    """The Message-IDs that reached the other side: the outbox folder, or the SMTP server."""
    if kind == "outbox":
        files = tmp_path.glob("*.eml")
        messages = [
            email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files
        ]
    else:
        server: Server = request.getfixturevalue("smtp_server")
        messages = [
            email.message_from_bytes(e.content, policy=email.policy.default)
            for e, _ in server.mailbox.received
        ]
    return [str(m["Message-ID"]) for m in messages]


def transport_of(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Transport:
    if kind == "outbox":
        return OutboxTransport(tmp_path, clock=lambda: NOW)
    return transport(request.getfixturevalue("smtp_server"))


def broken_transport_of(kind: str, tmp_path: Path) -> Transport:
    """One that cannot deliver: an outbox folder that is a file, an SMTP port nobody serves."""
    if kind == "outbox":
        (tmp_path / "not-a-folder").touch()
        return OutboxTransport(tmp_path / "not-a-folder")
    return SmtpTransport("127.0.0.1", free_port(), tls="none", timeout=5.0)


@pytest.mark.parametrize("kind", ["outbox", "smtp"])
def test_both_transports_follow_the_protocol(
    request: pytest.FixtureRequest, kind: str, tmp_path: Path
) -> None:
    chosen = transport_of(request, kind, tmp_path)
    assert isinstance(chosen, Transport)
    msg = survey_email()
    message_id = str(msg["Message-ID"])
    assert chosen.delivered(message_id) in (False, None)  # never "delivered" before a send
    chosen.send(msg)
    assert received_ids(request, kind, tmp_path) == [message_id]
    assert chosen.delivered(message_id) in (True, None)  # never "not delivered" after one
    with pytest.raises(TransportError) as failed:  # a failure is a TransportError, typed
        broken_transport_of(kind, tmp_path).send(survey_email("43"))
    assert failed.value.retryable
    assert received_ids(request, kind, tmp_path) == [message_id]


# --- configuration from the environment --------------------------------------------------

POLICY = Policy(survey=Survey(outbox_dir="/var/care/outbox"))


def test_no_smtp_host_means_the_outbox_folder() -> None:
    chosen = transport_from_env(POLICY, {"CARE_SMTP_PORT": "nonsense"})
    assert isinstance(chosen, OutboxTransport)
    assert chosen.folder == Path("/var/care/outbox")


@pytest.mark.parametrize(
    ("env", "port", "tls"),
    [
        ({}, 587, "starttls"),
        ({"CARE_SMTP_TLS": "SSL"}, 465, "ssl"),
        ({"CARE_SMTP_TLS": "none"}, 25, "none"),
        ({"CARE_SMTP_TLS": "starttls", "CARE_SMTP_PORT": "2525"}, 2525, "starttls"),
    ],
)
def test_smtp_settings_come_from_the_environment(env: dict[str, str], port: int, tls: str) -> None:
    chosen = transport_from_env(POLICY, {"CARE_SMTP_HOST": "smtp.acme.test", **env})
    assert isinstance(chosen, SmtpTransport)
    assert (chosen.host, chosen.port, chosen.tls) == ("smtp.acme.test", port, tls)
    assert chosen.user is None


def test_smtp_credentials_come_from_the_environment() -> None:
    env = {
        "CARE_SMTP_HOST": "smtp.acme.test",
        "CARE_SMTP_USER": USER,
        "CARE_SMTP_PASSWORD": PASSWORD,
    }
    chosen = transport_from_env(POLICY, env)
    assert isinstance(chosen, SmtpTransport)
    assert chosen.user == USER
    assert PASSWORD not in repr(chosen)


@pytest.mark.parametrize("port", ["abc", "0", "65536", "-1", "25.0"])
def test_invalid_port_names_the_variable_and_the_range(port: str) -> None:
    with pytest.raises(ValueError, match=r"CARE_SMTP_PORT must be a whole number from 1 to 65535"):
        transport_from_env(POLICY, {"CARE_SMTP_HOST": "h", "CARE_SMTP_PORT": port})


def test_invalid_tls_names_the_variable_and_the_allowed_values() -> None:
    with pytest.raises(ValueError, match=r"CARE_SMTP_TLS must be one of starttls, ssl, none"):
        transport_from_env(POLICY, {"CARE_SMTP_HOST": "h", "CARE_SMTP_TLS": "tls"})


def test_user_without_password_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="CARE_SMTP_PASSWORD is not"):
        transport_from_env(POLICY, {"CARE_SMTP_HOST": "h", "CARE_SMTP_USER": USER})


# --- a server no message can go through, and logins only under TLS -----------------------


def plain_email(to: str = "jane@example.com") -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "help@acme.test", to, "Did we solve it?"
    msg["Message-ID"] = "<care-survey.zendesk.42@acme.test>"
    msg.set_content("Yes or no?")
    return msg


def test_a_refused_login_names_the_login_variables_and_never_the_password(
    smtp_server: Server,
) -> None:
    with pytest.raises(TransportError) as caught:
        transport(smtp_server, user=USER, password="wrong " + PASSWORD).send(plain_email())
    assert caught.value.check == "CARE_SMTP_USER and CARE_SMTP_PASSWORD"
    assert "535" in caught.value.message and PASSWORD not in caught.value.message
    assert smtp_server.mailbox.received == []


def test_a_closed_port_names_the_server_variables() -> None:
    smtp = SmtpTransport("127.0.0.1", free_port(), tls="none", timeout=2)
    with pytest.raises(TransportError) as caught:
        smtp.send(plain_email())
    assert caught.value.check == "CARE_SMTP_HOST and CARE_SMTP_PORT"


def test_tls_that_fails_names_the_tls_variables(smtp_server: Server) -> None:
    for tls in ("starttls", "ssl"):  # against a server that speaks neither
        with pytest.raises(TransportError) as caught:
            transport(smtp_server, tls=tls, timeout=2).send(plain_email())
        assert caught.value.check == "CARE_SMTP_TLS and CARE_SMTP_PORT"


def test_a_refused_recipient_is_about_that_message_only(smtp_server: Server) -> None:
    for address in ("reject@example.com", "later@example.com"):
        with pytest.raises(TransportError) as caught:
            transport(smtp_server).send(plain_email(to=address))
        assert caught.value.check is None
    transport(smtp_server).send(plain_email())
    assert len(smtp_server.mailbox.received) == 1


def test_what_to_check_survives_pickling() -> None:
    error = TransportError(False, "535 no", check="CARE_SMTP_USER and CARE_SMTP_PASSWORD")
    assert pickle.loads(pickle.dumps(error)).check == error.check


@pytest.mark.parametrize("host", ["smtp.acme.test", "10.0.0.5", "192.168.1.20"])
def test_a_login_without_tls_to_another_host_is_refused(host: str) -> None:
    env = {
        "CARE_SMTP_HOST": host,
        "CARE_SMTP_TLS": "none",
        "CARE_SMTP_USER": USER,
        "CARE_SMTP_PASSWORD": PASSWORD,
    }
    with pytest.raises(ValueError) as raised:
        transport_from_env(POLICY, env)
    message = str(raised.value)
    assert message.startswith("CARE_SMTP_TLS=none with CARE_SMTP_USER set")
    assert "CARE_SMTP_TLS=starttls" in message and PASSWORD not in message and host not in message


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_a_login_without_tls_to_a_relay_on_this_machine_is_allowed(host: str) -> None:
    env = {"CARE_SMTP_HOST": host, "CARE_SMTP_TLS": "none"}
    chosen = transport_from_env(POLICY, {**env, "CARE_SMTP_USER": USER, "CARE_SMTP_PASSWORD": "p"})
    assert isinstance(chosen, SmtpTransport) and chosen.user == USER


def test_the_smtp_password_is_held_as_a_secret(smtp_server: Server) -> None:
    env = {"CARE_SMTP_HOST": "127.0.0.1", "CARE_SMTP_PORT": str(smtp_server.port)}
    env |= {"CARE_SMTP_TLS": "none", "CARE_SMTP_USER": USER, "CARE_SMTP_PASSWORD": PASSWORD}
    chosen = transport_from_env(POLICY, env)
    assert PASSWORD not in repr(chosen) and PASSWORD not in repr(vars(chosen))
    chosen.send(plain_email())  # and still logs in with it
    assert smtp_server.mailbox.logins[-1][1] == USER.encode()
