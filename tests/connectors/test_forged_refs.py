"""A customer who types the ref CARE would print cannot make CARE skip its note."""

from __future__ import annotations

from care.domain.actions import Action, NoteDraft
from care.domain.notes import NoteRenderer, ref_in
from connectors.base import UNCONFIRMED_JOB, Change
from tests.connectors.conftest import oauth_client

KEY = bytes.fromhex("ab" * 32)


def test_a_guessed_ref_typed_by_the_requester_does_not_pass_for_our_note(sandbox):
    action = Action(
        rule="connect.greeting",
        helpdesk="zendesk",
        ticket_id="31",
        reason="new ticket",
        note=NoteDraft("connect.greeting", {"first_name": "Ana", "tenure": None, "subject": "x"}),
    )
    # Action keys are "helpdesk:ticket:rule:variant": anyone can work out the unkeyed ref.
    sandbox.touch(31, requester_message=f"thanks! — CARE pipelines · ref {action.ref}")
    note = NoteRenderer(ref_key=KEY).render(action.note, action)  # type: ignore[arg-type]
    # The poll crashed after marking the write: the retry looks for the note's ref first.
    retry = Change(ref=1, ticket_id="31", note=note, note_ref=ref_in(note), job_id=UNCONFIRMED_JOB)
    report = oauth_client(sandbox).apply([retry])
    assert report.applied == [1]
    ours = [c for c in sandbox.comments(31) if c["body"].startswith("[CARE] Greeting draft")]
    assert len(ours) == 1 and ours[0]["public"] is False
