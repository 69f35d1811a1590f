"""An SMTP server on loopback (aiosmtpd) with optional STARTTLS or implicit TLS and AUTH,
and a self-signed certificate for it: shared by the transport tests and `care check`'s."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.ports import free_port

USER, PASSWORD = "care-bot", "pa55 word!"


@dataclass
class Mailbox:
    """aiosmtpd handler: accepts mail, refuses `reject…` (550) and `later…` (451)."""

    received: list[tuple[Envelope, Session]] = field(default_factory=list)
    logins: list[tuple[str, bytes]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if address.startswith("reject"):
            return "550 5.1.1 No such user here"
        if address.startswith("later"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append((envelope, session))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((mechanism, data.login))
        ok = data.login == USER.encode() and data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)

    def message(self) -> EmailMessage:
        ((envelope, _),) = self.received
        assert isinstance(envelope.content, bytes)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Server:
    port: int
    mailbox: Mailbox


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1: (cert.pem, key.pem) in `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@contextmanager
def smtp_server(
    certificate: tuple[Path, Path], tls: str = "none", exclude: Sequence[str] = ()
) -> Iterator[Server]:
    """A server on a free port: `tls` "none", "starttls" or "ssl"; AUTH offered (mechanisms
    in `exclude` not), accepting USER / PASSWORD."""
    mailbox = Mailbox()
    kwargs: dict[str, Any] = {}
    if tls == "starttls":
        kwargs["tls_context"] = server_context(certificate)
    if tls == "ssl":
        kwargs["ssl_context"] = server_context(certificate)
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="smtp.test",
        authenticator=mailbox.authenticate,
        auth_require_tls=False,
        auth_exclude_mechanism=exclude,
        **kwargs,
    )
    controller.start()
    try:
        yield Server(controller.port, mailbox)
    finally:
        controller.stop()
