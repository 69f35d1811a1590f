"""A poll whose writes lose their answers after they were applied posts every note once."""

from __future__ import annotations

from collections import Counter

import pytest

from care.domain.notes import refs_in
from flows.poll import poll_helpdesk
from sandboxes.freshdesk import FreshdeskSandbox
from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import care_notes, configure, configure_freshdesk, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")

LOST = ["lost_reset", "lost_cut", "lost_502", "lost_garbled"]


@pytest.mark.parametrize("fault", LOST)
def test_zendesk_poll_whose_note_batches_lose_their_answers_posts_each_note_once(
    fault, database_url, tmp_path, monkeypatch
):
    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        for _ in range(2):  # the batch and the batch of the notes still missing lose theirs
            sandbox.inject(f"{fault}@/api/v2/tickets/update_many$")
        summary = poll_helpdesk(helpdesk="zendesk")
        refs = Counter(
            ref
            for ticket_id in range(1, 121)
            for body in care_notes(sandbox, ticket_id)
            for ref in refs_in(body)
        )

    assert summary.failed == 0 and summary.applied > 0
    assert refs and set(refs.values()) == {1}


def test_freshdesk_poll_whose_notes_lose_their_answers_posts_each_note_once(
    database_url, tmp_path, monkeypatch
):
    with FreshdeskSandbox(tickets=150, seed=9, job_delay_ms=5) as sandbox:
        configure_freshdesk(monkeypatch, tmp_path, sandbox, database_url)
        for ticket_id in range(1, 151):  # every note of the run loses its answer
            sandbox.inject(f"{LOST[ticket_id % 4]}@/api/v2/tickets/{ticket_id}/notes")
        summary = poll_helpdesk(helpdesk="freshdesk")
        refs = Counter(
            note["body"].rsplit("ref ", 1)[-1].strip()[:10]
            for ticket_id in range(1, 151)
            for note in sandbox.notes(ticket_id)
            if "CARE pipelines · ref" in note["body"]
        )

    assert summary.failed == 0 and summary.applied > 0
    assert refs and set(refs.values()) == {1}
