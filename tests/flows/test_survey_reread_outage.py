"""A helpdesk that fails the re-read just before sending (a 5xx burst, an outage) stops the
dispatch with one error line; the surveys it had claimed are given back at once, due as
they were, instead of waiting out a claim nobody holds any more (15 minutes)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from care.store import Store
from connectors.zendesk.endpoints import SHOW_MANY
from flows.surveys import dispatch_surveys
from sandboxes.zendesk import ZendeskSandbox
from tasks.surveys import ReReadFailed
from tests.flows.environment import run_care

pytestmark = pytest.mark.usefixtures("prefect_server")

BURST = 6  # HelpdeskHttp's attempts: every one of them answered 500


@pytest.fixture
def sandbox(surveys_due_sandbox: ZendeskSandbox) -> ZendeskSandbox:
    """Surveys scheduled and due, as after a poll."""
    return surveys_due_sandbox


def due(database_url: str) -> list[str]:
    with Store.open(database_url) as store:
        return sorted(r.ticket_id for r in store.due_surveys(datetime.now(UTC), 1000))


def sent(tmp_path) -> int:
    return len(list((tmp_path / "outbox").glob("*.eml")))


def test_surveys_claimed_before_a_failed_re_read_are_due_again_at_once(
    sandbox, database_url, tmp_path
):
    before = due(database_url)
    assert before, "the seed has surveys due"
    for _ in range(BURST):
        sandbox.inject(f"500@{SHOW_MANY}")

    with pytest.raises(ReReadFailed):
        dispatch_surveys()
    assert sent(tmp_path) == 0
    assert due(database_url) == before  # given back, not held under a dead claim

    result = dispatch_surveys()
    assert result.outcomes["sent"] == sent(tmp_path) >= 1


def test_care_run_surveys_ends_with_one_error_line_naming_the_helpdesk(
    sandbox, database_url, tmp_path
):
    for _ in range(BURST):
        sandbox.inject(f"503:0@{SHOW_MANY}")
    result = run_care(["run", "surveys"], tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: zendesk: the tickets could not be read again") and "503" in last
    assert due(database_url)  # still due for the next run
