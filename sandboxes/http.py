"""The HTTP server under every helpdesk sandbox: loopback, keep-alive, JSON, faults.

A sandbox object answers `handle(method, target, headers, body)` with
(status, payload, headers); a payload of None drops the connection unanswered
(an injected `conn_reset`), a `Cut` goes out half and then the connection drops,
bytes go out as they are, anything else as JSON.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import sys
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self

log = logging.getLogger("care.sandbox")

# Faults that let the request do its work and then lose the answer: what a client sees
# when a connection resets after processing, a body is cut short, a gateway times out.
LOST_ANSWERS = ("lost_reset", "lost_cut", "lost_502", "lost_garbled")
GATEWAY_502 = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


@dataclass(frozen=True, slots=True)
class Cut:
    """An answer whose headers promise all of `data` but only half is sent."""

    data: bytes


def lose_answer(fault: str, status: int, payload: Any) -> tuple[int, Any, dict[str, str]]:
    """What the client gets instead of (status, payload) once the work is done."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    if fault == "lost_reset":
        return 0, None, {}
    if fault == "lost_cut":
        return status, Cut(data), {}
    if fault == "lost_502":
        return 502, GATEWAY_502, {"Content-Type": "text/html"}
    return status, data[: len(data) // 2], {}  # lost_garbled: a whole answer, broken JSON


class SandboxApp(Protocol):
    def handle(
        self, method: str, target: str, headers: Any, body: bytes
    ) -> tuple[int, Any, dict[str, str]]: ...


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: SandboxApp, port: int, vendor: str, server_error: Any) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.app, self.vendor, self.server_error = app, vendor, server_error

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # clients hanging up are not news
            log.exception("%s sandbox: request from %s failed", self.vendor, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs
    sys_version = ""
    server: SandboxServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle holds the body back
        # until the client's delayed ACK (~40 ms per request on loopback).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def version_string(self) -> str:
        return f"{self.server.vendor.lower()}-sandbox"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            status, payload, headers = self.server.app.handle(
                self.command, self.path, self.headers, body
            )
        except Exception:  # a sandbox bug: answer like a server error, and say so in the log
            log.exception("%s sandbox: %s %s failed", self.server.vendor, self.command, self.path)
            status, payload, headers = 500, self.server.server_error, {}
        if payload is None:  # injected conn_reset: drop the connection without an answer
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        cut = isinstance(payload, Cut)
        data = (
            payload.data
            if isinstance(payload, Cut)
            else payload
            if isinstance(payload, bytes)
            else json.dumps(payload, separators=(",", ":"), check_circular=False).encode()
        )
        self.send_response(status)
        if "Content-Type" not in headers:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if cut:  # half the promised body, then the connection goes
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the CLI prints one line, tests read requests_log


def busiest_minute(spending: list[tuple[float, int]]) -> int:
    """The most requests (credits) spent in any 60 s, from (time, cost) pairs in time order:
    what a per-minute account budget has to hold, however its windows fall."""
    best = total = start = 0
    for at, cost in spending:
        total += cost
        while spending[start][0] <= at - 60:
            total -= spending[start][1]
            start += 1
        best = max(best, total)
    return best


class SandboxLifecycle:
    """Start/stop as a context manager, the URL, and a clock tests can move forward.

    A sandbox sets `_httpd` when started and `_offset` (seconds its clock runs ahead of
    real time) when built, and defines `start()` and `stop()`.
    """

    _httpd: SandboxServer | None
    _offset: float

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def clock(self) -> float:
        """The sandbox's current Unix time (real time, shifted by `now` and `advance`)."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (e.g. past Zendesk's one-minute export delay)."""
        self._offset += seconds
