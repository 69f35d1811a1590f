"""Serving the survey endpoint with uvicorn: in the foreground, or on a thread.

    with SurveyServer(create_app(settings, store=store)) as server:   # tests, the demo
        requests.get(server.url + "/s/" + token)

Uvicorn's access log is off in both: it would print every URL, tokens included.
The endpoint logs each answer itself, with the address masked. A request uvicorn
cannot parse never reaches the app; its 400 carries the security headers too
(`SecureH11Protocol`).
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Self

import h11
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from care.web.pages import SECURITY_HEADERS

START_TIMEOUT_S = 15.0


class SecureH11Protocol(H11Protocol):
    """Uvicorn's HTTP/1.1 protocol, whose own "400 Invalid HTTP request" (sent without
    asking the app) carries `SECURITY_HEADERS` like every response of the app."""

    def send_400_response(self, msg: str) -> None:
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"connection", b"close"),
            *((name.encode(), value.encode()) for name, value in SECURITY_HEADERS.items()),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=msg.encode("ascii")),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def serve(app: FastAPI, host: str, port: int) -> None:
    """Serve until Ctrl-C (`care survey-server`)."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        server_header=False,
        http=SecureH11Protocol,
    )


class SurveyServer:
    """The app on a loopback port, on a thread of its own; port 0 picks a free port."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,
            server_header=False,
            http=SecureH11Protocol,
            log_level="warning",
            timeout_graceful_shutdown=10,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="survey-server", daemon=True)
        self.app = app
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the survey server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        (listener,) = self._server.servers[0].sockets
        self.port = int(listener.getsockname()[1])
        return self

    def stop(self) -> None:
        """Stop listening, let running requests and their write-backs finish, then return."""
        self._server.should_exit = True
        self._thread.join(timeout=30)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
