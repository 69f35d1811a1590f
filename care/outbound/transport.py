"""Where survey e-mails go: an SMTP server in production, an outbox folder by default.

    TransportError(retryable, check)   every failure of a transport, translated at this boundary
      retryable=True            4xx replies, refused or dropped connections, timeouts
      retryable=False           5xx replies (rejected recipient, failed login), bad TLS setup
      check="CARE_SMTP_…"       the server cannot be used at all (unreachable, TLS failing,
                                login or sender refused): every message would fail alike

`transport_from_env` picks one from CARE_SMTP_* (SPEC §7). The password is held as a
SecretStr and never logged nor shown in a repr or an error message; a login crosses the
network only under TLS (CARE_SMTP_TLS=none with a login is for a relay on loopback).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Final, Literal, Protocol, cast, get_args, runtime_checkable

from pydantic import SecretStr

from care.domain.policy import Policy
from care.outbound.survey_message import SURVEY_HEADER
from care.settings.reading import current_environment
from care.settings.secrets import as_secret
from care.settings.urls import is_loopback

log = logging.getLogger(__name__)

TlsMode = Literal["starttls", "ssl", "none"]
TLS_MODES: Final[tuple[str, ...]] = get_args(TlsMode)
DEFAULT_PORTS: Final[dict[str, int]] = {"starttls": 587, "ssl": 465, "none": 25}
# What to check when the server cannot be used at all, by where it failed:
CHECK_SERVER: Final = "CARE_SMTP_HOST and CARE_SMTP_PORT"
CHECK_TLS: Final = "CARE_SMTP_TLS and CARE_SMTP_PORT"
CHECK_LOGIN: Final = "CARE_SMTP_USER and CARE_SMTP_PASSWORD"
CHECK_SENDER: Final = "survey.sender in care.toml"


class TransportError(Exception):
    """Sending failed. `retryable` says whether the same message may go through later;
    `check`, when set, that no message can go through until the settings it names (or the
    server) are fixed: the message itself was not the problem and was not sent."""

    def __init__(self, retryable: bool, message: str, check: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.message = message
        self.check = check

    def __reduce__(self) -> tuple[type[TransportError], tuple[bool, str, str | None]]:
        return (type(self), (self.retryable, self.message, self.check))  # pickled by Prefect


@runtime_checkable
class Transport(Protocol):
    def send(self, msg: EmailMessage) -> None:
        """Deliver `msg` or raise `TransportError`."""
        ...

    def delivered(self, message_id: str) -> bool | None:
        """Whether the message with this Message-ID was delivered; None: cannot tell.

        Asked after a dispatcher died between calling `send` and recording the
        outcome, to decide between recording it sent and sending it.
        """
        ...


class OutboxTransport:
    """Writes each message to `{folder}/{timestamp}-{helpdesk}-{ticket}.eml`.

    Idempotent per Message-ID: a marker in `{folder}/.sent/` claims each id
    (created exclusively, so two workers cannot both write), and a second send of
    the same id writes nothing. The e-mail is written to a temporary file first
    and renamed into place, so a reader never sees half a message. Files are
    readable by their owner only: they hold names and addresses.
    """

    def __init__(self, folder: str | os.PathLike[str], clock: Callable[[], datetime] | None = None):
        self.folder = Path(folder)
        self._clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"OutboxTransport({str(self.folder)!r})"

    def delivered(self, message_id: str) -> bool | None:
        """True: its .eml is in the folder. False: it was never written.

        None: its marker is there but the .eml is not, because someone took the file
        out of the folder, or a crash came between the marker and the rename (which
        leaves a `.tmp-*.eml` file behind).
        """
        try:
            name = self._marker(message_id).read_text(encoding="utf-8").partition("\n")[0]
        except FileNotFoundError:
            return False
        return True if name and (self.folder / name).exists() else None

    def send(self, msg: EmailMessage) -> None:
        message_id = msg["Message-ID"]
        if not message_id:
            raise ValueError("the outbox needs a Message-ID to recognise a resend")
        marker = self._marker(str(message_id))
        index, digest = marker.parent, marker.name
        if marker.exists():
            log.info("outbox: %s was already written, not again", message_id)
            return
        try:
            index.mkdir(parents=True, exist_ok=True)
            tmp = self._write_temp(msg)
        except OSError as exc:
            raise TransportError(True, f"cannot write to outbox {self.folder}: {exc}") from exc
        try:
            final = self._final_path(msg, digest)
            # The claim comes before the rename: a crash in between loses this one
            # mail (its .tmp file stays for inspection) rather than sending it twice.
            with open(marker, "x", encoding="utf-8") as claim:
                claim.write(f"{final.name}\n{message_id}\n")
            os.replace(tmp, final)
        except FileExistsError:
            log.info("outbox: %s was already written, not again", message_id)
            tmp.unlink(missing_ok=True)
            return
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise TransportError(True, f"cannot write to outbox {self.folder}: {exc}") from exc
        log.info("outbox: wrote %s", final)

    def _marker(self, message_id: str) -> Path:
        digest = hashlib.sha256(message_id.strip().encode()).hexdigest()[:32]
        return self.folder / ".sent" / digest

    def _write_temp(self, msg: EmailMessage) -> Path:
        fd, name = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
        with os.fdopen(fd, "wb") as out:
            out.write(msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")))  # CRLF, as .eml
            out.flush()
            os.fsync(out.fileno())
        return Path(name)

    def _final_path(self, msg: EmailMessage, digest: str) -> Path:
        stamp = self._clock().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        helpdesk, _, ticket = str(msg.get(SURVEY_HEADER, "")).partition(":")
        name = f"{stamp}-{_safe(helpdesk)}-{_safe(ticket)}" if ticket else f"{stamp}-{digest[:12]}"
        path = self.folder / f"{name}.eml"
        if path.exists():  # same second, ids that clean up to the same name: keep both
            path = self.folder / f"{name}-{digest[:8]}.eml"
        return path


class SmtpTransport:
    """Sends through an SMTP server, one connection per message.

    `tls`: "starttls" (upgrade after connecting, usually port 587), "ssl"
    (implicit TLS, usually 465) or "none" (a trusted local relay). Certificates
    are verified against the system CAs unless `ssl_context` says otherwise.
    """

    def __init__(
        self,
        host: str,
        port: int,
        user: str | None = None,
        password: SecretStr | str | None = None,
        tls: TlsMode = "starttls",
        timeout: float = 30.0,
        *,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if tls not in TLS_MODES:
            raise ValueError(f"tls must be one of {', '.join(TLS_MODES)}; got {tls!r}")
        self.host = host
        self.port = port
        self.user = user
        self._password = as_secret(password)
        self.tls = tls
        self.timeout = timeout
        self._ssl_context = ssl_context

    def __repr__(self) -> str:
        return (
            f"SmtpTransport(host={self.host!r}, port={self.port}, user={self.user!r}, "
            f"tls={self.tls!r})"
        )

    def send(self, msg: EmailMessage) -> None:
        where = f"SMTP {self.host}:{self.port}"
        client = self._open(where)
        try:
            refused = client.send_message(msg)
        except OSError as exc:
            client.close()
            if isinstance(exc, smtplib.SMTPSenderRefused):  # MAIL FROM: every message alike
                raise _unusable(exc, where, CHECK_SENDER) from exc
            raise _translate(exc, where) from exc
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()  # the server has accepted the message: a failed QUIT changes nothing
        if refused:
            address, (code, text) = next(iter(refused.items()))
            raise _reply_error(code, text, f"{where} refused {address}")
        log.info("%s accepted %s", where, msg["Message-ID"])

    def delivered(self, message_id: str) -> bool | None:
        """Always None: SMTP has no way to ask whether a server accepted a message."""
        return None

    def verify(self) -> None:
        """Connect, EHLO, TLS as configured, log in when a user is set, QUIT: no mail is
        sent. Raises `TransportError` (the password never in it)."""
        client = self._open(f"SMTP {self.host}:{self.port}")
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()

    def _open(self, where: str) -> smtplib.SMTP:
        """Connected, TLS as configured, logged in: or `TransportError` with `check` set,
        since a server that fails here fails every message alike."""
        try:
            client = self._connect()
        except OSError as exc:  # smtplib's and ssl's errors are OSErrors too
            raise _unusable(exc, where, CHECK_SERVER) from exc
        try:
            client.ehlo_or_helo_if_needed()
            if self.user:
                password = self._password.get_secret_value() if self._password else ""
                client.login(self.user, password)
        except OSError as exc:
            client.close()
            check = CHECK_LOGIN if isinstance(exc, smtplib.SMTPAuthenticationError) else None
            raise _unusable(exc, where, check or CHECK_SERVER) from exc
        return client

    def _connect(self) -> smtplib.SMTP:
        context = self._ssl_context or ssl.create_default_context()
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.tls == "starttls":
            try:
                client.ehlo()
                client.starttls(context=context)
                client.ehlo()
            except OSError:
                client.close()
                raise
        return client


def transport_from_env(policy: Policy, environ: Mapping[str, str] | None = None) -> Transport:
    """SMTP when CARE_SMTP_HOST is set, else the outbox at `policy.survey.outbox_dir`.

    CARE_SMTP_TLS is starttls (default), ssl or none; CARE_SMTP_PORT defaults to
    587, 465 or 25 accordingly. CARE_SMTP_USER and CARE_SMTP_PASSWORD go together.
    Raises `ValueError` naming the variable for a value it cannot use.
    """
    env = current_environment() if environ is None else environ
    host = env.get("CARE_SMTP_HOST", "").strip()
    if not host:
        return OutboxTransport(policy.survey.outbox_dir)

    tls = env.get("CARE_SMTP_TLS", "").strip().lower() or "starttls"
    if tls not in TLS_MODES:
        raise ValueError(f"CARE_SMTP_TLS must be one of {', '.join(TLS_MODES)}")
    port_text = env.get("CARE_SMTP_PORT", "").strip()
    port = DEFAULT_PORTS[tls]
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise ValueError("CARE_SMTP_PORT must be a whole number from 1 to 65535")
        port = int(port_text)
    user = env.get("CARE_SMTP_USER", "").strip() or None
    password = as_secret(env.get("CARE_SMTP_PASSWORD") or None)
    if user and not password:
        raise ValueError("CARE_SMTP_USER is set but CARE_SMTP_PASSWORD is not: set both or neither")
    if password and not user:
        raise ValueError("CARE_SMTP_PASSWORD is set but CARE_SMTP_USER is not: set both or neither")
    if user and tls == "none" and not is_loopback(host):
        raise ValueError(
            "CARE_SMTP_TLS=none with CARE_SMTP_USER set would send the login and "
            "CARE_SMTP_PASSWORD unencrypted: set CARE_SMTP_TLS=starttls (port 587) or ssl "
            "(port 465); TLS may be off only for a relay on this machine (127.0.0.1)"
        )
    return SmtpTransport(host, port, user, password, tls=cast(TlsMode, tls))


def _unusable(exc: OSError, where: str, check: str) -> TransportError:
    """`exc` translated, marked as a server no message can go through: the settings to
    check are the TLS ones whenever TLS is what failed."""
    translated = _translate(exc, where)
    tls_failed = isinstance(exc, ssl.SSLError | smtplib.SMTPNotSupportedError)
    return TransportError(
        translated.retryable, translated.message, CHECK_TLS if tls_failed else check
    )


def _translate(exc: OSError, where: str) -> TransportError:
    """Lower-layer errors to `TransportError`; SMTP reply codes decide retryability."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        address, (code, text) = next(iter(exc.recipients.items()))
        return _reply_error(code, text, f"{where} refused {address}")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _reply_error(exc.smtp_code, exc.smtp_error, f"{where} refused the login")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply_error(exc.smtp_code, exc.smtp_error, f"{where} said no")
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransportError(True, f"{where} closed the connection: {exc}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return TransportError(False, f"{where}: {exc} (check CARE_SMTP_TLS)")
    if isinstance(exc, smtplib.SMTPException):
        return TransportError(False, f"{where}: {exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(False, f"{where} has a certificate we cannot trust: {exc}")
    if isinstance(exc, ssl.SSLError) and not isinstance(
        exc, ssl.SSLEOFError | ssl.SSLSyscallError | ssl.SSLZeroReturnError
    ):  # the two ends do not speak the same TLS: a setting, not bad luck
        return TransportError(
            False, f"{where}: TLS failed: {exc} (check CARE_SMTP_TLS and CARE_SMTP_PORT)"
        )
    # Refused, reset, unreachable, timed out, TLS handshake cut short:
    return TransportError(True, f"cannot reach {where}: {exc}")


def _reply_error(code: int, text: bytes | str, context: str) -> TransportError:
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    # 4xx is "try again later"; 5xx is final; anything else (-1: no reply) is a lost line.
    retryable = not 500 <= code <= 599
    return TransportError(retryable, f"{context}: {code} {_one_line(reply)}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _safe(part: str) -> str:
    """A helpdesk or ticket id as a file name part."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", part.strip()).strip(".") or "_"
