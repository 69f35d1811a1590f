"""A mail server that cannot be used (login refused, nothing listening, TLS failing) holds
the surveys, it does not fail them: they stay due, the run fails naming the SMTP settings
to check, the alert channel hears it once per outage, and everything goes out once fixed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from care.store import Store
from flows.surveys import dispatch_surveys
from sandboxes.zendesk import ZendeskSandbox
from tasks.surveys import MailServerDown
from tests.flows.environment import run_care
from tests.flows.webhooks import GENERIC_PATH, Receiver, webhook_receiver
from tests.ports import free_port
from tests.smtp import PASSWORD, USER, Server, make_certificate, smtp_server

pytestmark = pytest.mark.usefixtures("prefect_server")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    with smtp_server(certificate, tls="none") as running:
        yield running


@pytest.fixture
def alerts(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with webhook_receiver() as receiver:
        monkeypatch.setenv("CARE_ALERT_WEBHOOK_URL", receiver.url + GENERIC_PATH)
        yield receiver


@pytest.fixture
def sandbox(surveys_due_sandbox: ZendeskSandbox) -> ZendeskSandbox:
    """Surveys scheduled and due, as after a poll."""
    return surveys_due_sandbox


def use_smtp(monkeypatch: pytest.MonkeyPatch, port: int, password: str = PASSWORD, **env) -> None:
    settings = {"CARE_SMTP_HOST": "127.0.0.1", "CARE_SMTP_PORT": str(port)}
    settings |= {"CARE_SMTP_TLS": "none", "CARE_SMTP_USER": USER, "CARE_SMTP_PASSWORD": password}
    for name, value in {**settings, **env}.items():
        monkeypatch.setenv(name, value)


def due(database_url: str) -> list[str]:
    with Store.open(database_url) as store:
        return sorted(r.ticket_id for r in store.due_surveys(datetime.now(UTC), 1000))


def failed(database_url: str) -> int:
    with Store.open(database_url) as store:
        return store.survey_counts()["failed"]


def test_a_refused_login_keeps_the_surveys_due_and_alerts_once(
    sandbox, database_url, monkeypatch, server, alerts
):
    to_send = dispatch_surveys(dry_run=True).outcomes["would send"]
    assert to_send >= 1, "the seed has surveys to send"
    use_smtp(monkeypatch, server.port, password="wrong " + PASSWORD)

    held: list[list[str]] = []
    for _ in range(3):  # three scheduled runs during the same outage
        with pytest.raises(MailServerDown) as raised:
            dispatch_surveys()
        message = str(raised.value)
        assert "refused the login: 535" in message
        assert "check CARE_SMTP_USER and CARE_SMTP_PASSWORD" in message
        assert PASSWORD not in message and "\n" not in message
        assert failed(database_url) == 0
        held.append(due(database_url))
    assert held[0] == held[1] == held[2] and len(held[0]) >= to_send  # all still due

    assert server.mailbox.received == []
    (alert,) = alerts.on(GENERIC_PATH)
    assert alert.body["title"] == "Survey e-mails held: the mail server cannot be used"
    assert "CARE_SMTP_USER and CARE_SMTP_PASSWORD" in alert.body["reason"]
    assert alert.body["ticket_id"] is None and PASSWORD not in str(alert.body)

    use_smtp(monkeypatch, server.port)  # fixed
    result = dispatch_surveys()
    assert result.outcomes["sent"] == len(server.mailbox.received) == to_send
    assert due(database_url) == [] and failed(database_url) == 0
    assert len(alerts.on(GENERIC_PATH)) == 1


def test_a_closed_port_keeps_the_surveys_due_and_names_the_server_settings(
    sandbox, database_url, monkeypatch, alerts
):
    to_send = dispatch_surveys(dry_run=True).outcomes["would send"]
    use_smtp(monkeypatch, free_port())
    for _ in range(2):
        with pytest.raises(MailServerDown, match="check CARE_SMTP_HOST and CARE_SMTP_PORT"):
            dispatch_surveys()
    assert len(due(database_url)) >= to_send and failed(database_url) == 0
    assert len(alerts.on(GENERIC_PATH)) == 1


def test_tls_that_fails_keeps_the_surveys_due_and_names_the_tls_settings(
    sandbox, database_url, monkeypatch, server, alerts
):
    to_send = dispatch_surveys(dry_run=True).outcomes["would send"]
    use_smtp(monkeypatch, server.port, CARE_SMTP_TLS="ssl")  # the server speaks no TLS
    with pytest.raises(MailServerDown, match="check CARE_SMTP_TLS and CARE_SMTP_PORT"):
        dispatch_surveys()
    assert len(due(database_url)) >= to_send and failed(database_url) == 0
    assert len(alerts.on(GENERIC_PATH)) == 1


def test_a_new_outage_after_a_recovery_is_alerted_again(
    sandbox, database_url, monkeypatch, server, alerts
):
    use_smtp(monkeypatch, free_port())
    with pytest.raises(MailServerDown):
        dispatch_surveys()
    use_smtp(monkeypatch, server.port, password="wrong " + PASSWORD)  # another cause
    with pytest.raises(MailServerDown):
        dispatch_surveys()
    assert len(alerts.on(GENERIC_PATH)) == 2


def test_care_run_surveys_ends_with_one_error_line_naming_what_to_check(
    sandbox, database_url, tmp_path, monkeypatch, server
):
    use_smtp(monkeypatch, server.port, password="wrong " + PASSWORD)
    result = run_care(["run", "surveys"], tmp_path)
    assert result.returncode == 2  # what `care` exits with for a setting to fix
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: survey e-mails cannot be sent: SMTP 127.0.0.1:")
    assert (
        "refused the login: 535" in last and "check CARE_SMTP_USER and CARE_SMTP_PASSWORD" in last
    )
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr + result.stdout
    assert failed(database_url) == 0
