"""The error-event routes over real HTTP: the survey endpoint's app on a loopback port
(uvicorn, `SurveyServer`), a store on SQLite (or the PostgreSQL of
CARE_TEST_DATABASE_URL), and a clock the test sets."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from care.settings.load import load_settings
from care.store import Store
from care.web.server import create_app
from care.web.serving import SurveyServer
from tests.databases import temporary_database
from tests.events.signing import (
    EVENTS_SECRET,
    SENTRY_SECRET,
    care_signature,
    sentry_body,
    sentry_signature,
)

SURVEY_SECRET = "test-signing-key-0123456789abcdef"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@dataclass
class Intake:
    """A running endpoint and its store."""

    server: SurveyServer
    store: Store
    now: list[datetime] = field(default_factory=lambda: [NOW])

    def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> requests.Response:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        return requests.post(self.server.url + path, data=body, headers=all_headers, timeout=10)

    def sentry(
        self,
        resource: str,
        payload: dict[str, Any] | None = None,
        *,
        body: bytes | None = None,
        signature: str | None = None,
        timestamp: str | None = None,
    ) -> requests.Response:
        """A webhook the way Sentry sends it; any part can be replaced."""
        if body is None:
            body = sentry_body(payload or {})
        headers = {
            "Sentry-Hook-Resource": resource,
            "Sentry-Hook-Timestamp": str(int(self.now[0].timestamp()))
            if timestamp is None
            else timestamp,
            "Sentry-Hook-Signature": sentry_signature(body) if signature is None else signature,
            "Request-ID": "8d1c0c2b-3b5c-4a52-9d0b-3f3a2c1d0e9f",
        }
        return self.post("/events/sentry", body, {k: v for k, v in headers.items() if v})

    def generic(
        self,
        payload: dict[str, Any] | None = None,
        *,
        body: bytes | None = None,
        signature: str | None = None,
        timestamp: str | None = None,
    ) -> requests.Response:
        """A generic event signed with CARE_EVENTS_SECRET; any part can be replaced."""
        if body is None:
            body = json.dumps(payload or {}).encode()
        stamp = str(int(self.now[0].timestamp())) if timestamp is None else timestamp
        headers = {
            "X-Care-Timestamp": stamp,
            "X-Care-Signature": care_signature(body, stamp) if signature is None else signature,
        }
        return self.post("/events/error", body, {k: v for k, v in headers.items() if v})


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with temporary_database(tmp_path) as url:
        yield url


@pytest.fixture
def start_intake(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Intake]]:
    """start_intake(**env) -> a running `Intake`; `env` overrides the variables (an empty
    string unsets one)."""
    running: list[Intake] = []

    def start(**env: str) -> Intake:
        variables = {
            "CARE_DATABASE_URL": database_url,
            "CARE_SURVEY_SECRET": SURVEY_SECRET,
            "CARE_SENTRY_CLIENT_SECRET": SENTRY_SECRET,
            "CARE_EVENTS_SECRET": EVENTS_SECRET,
        }
        variables.update(env)
        config = tmp_path / "care.toml"
        config.write_text("", encoding="utf-8")
        settings = load_settings(config, env={k: v for k, v in variables.items() if v})
        store = Store.open(database_url)
        now = [NOW]
        app = create_app(settings, store=store, clock=lambda: now[0], body_timeout_s=2.0)
        intake = Intake(SurveyServer(app).start(), store, now)
        running.append(intake)
        return intake

    yield start
    for intake in running:
        intake.server.stop()
        intake.store.close()


@pytest.fixture
def intake(start_intake: Callable[..., Intake]) -> Intake:
    return start_intake()
