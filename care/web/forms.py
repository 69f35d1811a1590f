"""Reading the survey forms' bodies: small, and on time, or refused.

The endpoint's two forms (the answer with its comment, the unsubscribe button) are a
few KB at most. A body past `MAX_FORM_BYTES` is refused (413), one that has not
arrived within the timeout (a client that sends headers and then stalls, holding a
connection and a worker) gets a 408; both close the connection rather than read
the rest. A client that goes away is no error: nobody is left to answer.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final
from urllib.parse import parse_qs

from fastapi import Request
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

log = logging.getLogger("care.web.server")

MAX_FORM_BYTES: Final = 32 * 1024  # a full comment, %-encoded, with room to spare
BODY_TIMEOUT_S: Final = 10.0  # a form is a few KB: a body still arriving after this has stalled
_CLOSE: Final = {"Connection": "close"}


async def read_form(request: Request, timeout_s: float) -> dict[str, list[str]]:
    """An `application/x-www-form-urlencoded` body, refused past `MAX_FORM_BYTES` (413)
    or when it takes longer than `timeout_s` to arrive (408). Both close the connection:
    the rest of the body is not read."""
    body = await read_body(request, timeout_s, MAX_FORM_BYTES, "survey form")
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


async def read_body(request: Request, timeout_s: float, max_bytes: int, what: str) -> bytes:
    """The raw body, refused past `max_bytes` (413) or when it takes longer than
    `timeout_s` to arrive (408), both closing the connection; a client that went away
    gets a 400 nobody reads. `what` names the body in the log."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise HTTPException(413, headers=_CLOSE)
    body = bytearray()
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_bytes:
                    raise HTTPException(413, headers=_CLOSE)
    except TimeoutError:
        log.info("%s refused: its body stalled for %.0f s", what, timeout_s)
        raise HTTPException(408, headers=_CLOSE) from None
    except ClientDisconnect:
        # Nobody is left to answer; the page goes nowhere, and nothing is recorded.
        log.info("%s not read: the client went away", what)
        raise HTTPException(400, headers=_CLOSE) from None
    return bytes(body)
