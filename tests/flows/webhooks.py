"""A webhook receiver on loopback that keeps every request, and can answer 500 for a while."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.ports import free_port

GENERIC_PATH = "/hooks/care/t0k3n-generic"  # the token lives in the path, as with real hooks
SLACK_PATH = "/services/T0CARE/B0CARE/t0k3n-slack"
BLOCK_PATH = "/prefect-block"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: Any
    status: int  # what the receiver answered

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.failing: set[str] = set()  # paths answered with 500
        self.url = ""
        self._lock = threading.Lock()

    def on(self, path: str, accepted_only: bool = True) -> list[Received]:
        return [r for r in self.requests if r.path == path and (r.accepted or not accepted_only)]

    def record(self, path: str, headers: dict[str, str], body: Any) -> int:
        with self._lock:
            status = 500 if path in self.failing else 200
            self.requests.append(Received(path, headers, body, status))
            return status


@contextmanager
def webhook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status = receiver.record(self.path, dict(self.headers), json.loads(raw or b"null"))
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"internal_error")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
