"""The survey endpoint over real HTTP: uvicorn on a loopback port, a helpdesk sandbox,
and a store on SQLite (or the PostgreSQL of CARE_TEST_DATABASE_URL)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from care.domain.survey_links import Answer
from care.settings.load import Settings, load_settings
from care.store import AnswerRecord, Store
from care.web.server import create_app
from care.web.serving import SurveyServer
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tasks.writeback import HelpdeskOpener
from tests.databases import temporary_database
from tests.surveys.sent import link_to, send_survey

SECRET = "test-signing-key-0123456789abcdef"
REQUESTER = "Iris.Requester@example.com"
Sandbox = ZendeskSandbox | FreshdeskSandbox


@dataclass
class Survey:
    """A running survey endpoint and what it writes to."""

    settings: Settings
    store: Store
    server: SurveyServer
    sandbox: Sandbox
    helpdesk: str

    def link(
        self,
        answer: Answer,
        ticket_id: int | str,
        *,
        expires_in: timedelta = timedelta(days=30),
        secret: str = SECRET,
    ) -> str:
        """The link of `answer` in the e-mail of the ticket's survey, sent to REQUESTER
        (recorded as sent now unless it was)."""
        sent = send_survey(self.store, self.helpdesk, str(ticket_id), REQUESTER)
        expires_at = datetime.now(UTC) + expires_in
        return link_to(self.server.url, secret, sent, answer, expires_at)

    def get(self, url: str) -> requests.Response:
        return self._settled(requests.get(url, timeout=10, allow_redirects=False))

    def post(self, url: str, data: dict[str, str] | str | None = None) -> requests.Response:
        return self._settled(requests.post(url, data=data, timeout=10, allow_redirects=False))

    def send(self, url: str, comment: str = "") -> requests.Response:
        """What a requester does: open the link, then press "Send my answer"."""
        opened = self.get(url)
        assert opened.status_code == 200, opened.text
        return self.post(url, {"send": "answer", "comment": comment})

    def answer(self, ticket_id: int | str) -> AnswerRecord | None:
        return self.store.survey_answer(self.helpdesk, str(ticket_id))

    def _settled(self, response: requests.Response) -> requests.Response:
        """The response, once the write-backs it started have run."""
        endpoint = self.server.app.state.endpoint
        assert endpoint.wait_for_write_backs(timeout=20), "a write-back never finished"
        return response


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with temporary_database(tmp_path) as url:
        yield url


@pytest.fixture
def zendesk() -> Iterator[ZendeskSandbox]:
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5) as sandbox:
        yield sandbox


def settings_for(sandbox: Sandbox, database_url: str, tmp_path: Path, toml: str = "") -> Settings:
    config = tmp_path / "care.toml"
    config.write_text(toml, encoding="utf-8")
    env = {"CARE_DATABASE_URL": database_url, "CARE_SURVEY_SECRET": SECRET}
    if isinstance(sandbox, ZendeskSandbox):
        env |= {
            "CARE_ZENDESK_URL": sandbox.url,
            "CARE_ZENDESK_CLIENT_ID": sandbox.client_id,
            "CARE_ZENDESK_CLIENT_SECRET": sandbox.client_secret,
        }
    else:
        env |= {"CARE_FRESHDESK_URL": sandbox.url, "CARE_FRESHDESK_API_KEY": sandbox.api_key}
    return load_settings(config, env=env)


@pytest.fixture
def start_survey(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Survey]]:
    """start_survey(sandbox, toml="", open_helpdesk=None, **app_options) -> a running
    `Survey`; `open_helpdesk(settings)` gives the endpoint its connectors, `app_options`
    go to `create_app`."""
    running: list[Survey] = []

    def start(
        sandbox: Sandbox,
        toml: str = "",
        open_helpdesk: Callable[[Settings], HelpdeskOpener] | None = None,
        **app_options: Any,
    ) -> Survey:
        settings = settings_for(sandbox, database_url, tmp_path, toml)
        store = Store.open(database_url)
        opener = open_helpdesk(settings) if open_helpdesk else None
        app = create_app(settings, store=store, open_helpdesk=opener, **app_options)
        helpdesk = "zendesk" if isinstance(sandbox, ZendeskSandbox) else "freshdesk"
        survey = Survey(settings, store, SurveyServer(app).start(), sandbox, helpdesk)
        running.append(survey)
        return survey

    yield start
    for survey in running:
        survey.server.stop()
        survey.store.close()


@pytest.fixture
def survey(start_survey: Callable[..., Survey], zendesk: ZendeskSandbox) -> Survey:
    return start_survey(zendesk)


def solved_tickets(sandbox: ZendeskSandbox) -> list[int]:
    return [i for i in range(1, 61) if sandbox.ticket(i)["status"] == "solved"]


def answer_notes(sandbox: ZendeskSandbox, ticket_id: int, rule: str) -> list[str]:
    return [
        c["body"] for c in sandbox.comments(ticket_id) if c["body"].startswith(f"[CARE] {rule}")
    ]


def update_calls(sandbox: ZendeskSandbox) -> int:
    return sum(1 for method, path in sandbox.requests_log if (method, path) == ("PUT", UPDATE_MANY))


UPDATE_MANY = "/api/v2/tickets/update_many"
