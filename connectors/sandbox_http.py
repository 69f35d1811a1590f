"""The HTTP server under every helpdesk sandbox: loopback, keep-alive, JSON, faults.

A sandbox object answers `handle(method, target, headers, body)` with
(status, payload, headers); a payload of None drops the connection unanswered
(an injected `conn_reset`), bytes go out as they are, anything else as JSON.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self

log = logging.getLogger("care.sandbox")


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
        data = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload, separators=(",", ":"), check_circular=False).encode()
        )
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
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
