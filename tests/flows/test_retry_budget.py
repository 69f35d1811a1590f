"""HTTP retries and Prefect task retries do not multiply: a read the HTTP layer already
retried as long as a request may wait fails the run at once, instead of starting the same
six attempts again three more times over minutes (5 s, 30 s, 120 s of task retry delays)."""

from __future__ import annotations

import time

import pytest

from connectors.errors import ServerError
from connectors.http import MAX_ATTEMPTS
from connectors.zendesk.endpoints import INCREMENTAL_TICKETS
from flows.poll import poll_helpdesk
from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import configure

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_a_read_failing_every_http_attempt_is_not_retried_again_by_prefect(
    database_url, tmp_path, monkeypatch
):
    with ZendeskSandbox(tickets=10, seed=3) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        for _ in range(MAX_ATTEMPTS * 4):  # enough for every Prefect retry too
            sandbox.inject(f"500@{INCREMENTAL_TICKETS}")
        started = time.monotonic()
        with pytest.raises(ServerError):
            poll_helpdesk(helpdesk="zendesk")
        took = time.monotonic() - started
        reads = [path for _, path in sandbox.requests_log if path.startswith(INCREMENTAL_TICKETS)]
    assert len(reads) == MAX_ATTEMPTS
    assert took < 30  # the HTTP backoff only (about 8 s), no task retry delay on top
