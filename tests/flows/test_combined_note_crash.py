"""A poll killed between sending its one-update-per-ticket batch and recording it: the next
poll neither posts the combined notes again nor loses any of them."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from care.domain.notes import refs_in
from care.store import Store
from care.store.schema import ActionState
from flows.poll import poll_helpdesk
from sandboxes.zendesk import ZendeskSandbox
from tests.flows.environment import care_notes, configure, settled_past

pytestmark = pytest.mark.usefixtures("prefect_server")


class Killed(BaseException):
    """The worker dies: nothing after this point runs, nothing is given back."""


def test_a_crash_between_the_write_and_its_record_neither_repeats_nor_loses_a_note(
    database_url, tmp_path, monkeypatch
):
    with ZendeskSandbox(tickets=120, seed=3, job_delay_ms=5, now=settled_past()) as sandbox:
        configure(monkeypatch, tmp_path, sandbox, database_url)
        original = Store.mark_jobs

        def dies_once_the_batch_is_sent(self, jobs):
            if "unconfirmed" not in jobs:  # the real job ids, after the write went out
                raise Killed
            return original(self, jobs)

        monkeypatch.setattr(Store, "mark_jobs", dies_once_the_batch_is_sent)
        monkeypatch.setattr("tasks.runtime.release_held", lambda ctx, exc: None)
        monkeypatch.setattr("tasks.poll._release", lambda *args, **kwargs: None)
        with pytest.raises(Killed):
            poll_helpdesk(helpdesk="zendesk")
        monkeypatch.undo()
        configure(monkeypatch, tmp_path, sandbox, database_url)
        posted = {t: care_notes(sandbox, t) for t in range(1, 121)}
        assert any(posted.values()), "the batch went out before the kill"

        # Ten minutes on, the dead worker's claims are stale: another poll takes them over.
        later = datetime.now(UTC) + timedelta(minutes=11)
        monkeypatch.setattr("care.store.store.now_utc", lambda: later)
        sandbox.advance(61)
        poll_helpdesk(helpdesk="zendesk")
        after = {t: care_notes(sandbox, t) for t in range(1, 121)}
        with Store.open(database_url) as store:
            rows = store.recent_actions(limit=10_000)

    assert after == posted  # not one note more: each combined note found by its ref
    refs = Counter(ref for notes in after.values() for note in notes for ref in refs_in(note))
    assert set(refs.values()) == {1}
    assert all(len(notes) <= 1 for notes in after.values())
    noted = [r for r in rows if r.note and not r.note_public]
    assert noted and all(r.state == ActionState.APPLIED for r in noted)
    assert {ref for note in (n for ns in after.values() for n in ns) for ref in refs_in(note)} == {
        refs_in(r.note)[0] for r in noted
    }
