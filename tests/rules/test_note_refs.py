"""The ref a note ends with is keyed with the store's secret: a customer who knows how
actions are named cannot write a ref that CARE would take for a note of its own."""

from __future__ import annotations

from care.domain.actions import action_ref
from care.domain.notes import NoteRenderer, ref_in
from tests.rules.test_notes import note_action, render

KEY = bytes.fromhex("11" * 32)


def test_a_note_ends_with_the_keyed_ref_not_the_guessable_one() -> None:
    action = note_action("connect.greeting", first_name="Ana", tenure=None, subject="Help")
    text = render(action, NoteRenderer(ref_key=KEY))
    assert ref_in(text) == action_ref(action.key, KEY)
    assert action_ref(action.key) not in text  # sha1 of "zendesk:<id>:<rule>:", guessable


def test_two_installations_print_different_refs_for_one_action() -> None:
    action = note_action("connect.greeting", first_name="Ana", tenure=None, subject="Help")
    other = render(action, NoteRenderer(ref_key=bytes.fromhex("22" * 32)))
    assert ref_in(other) != ref_in(render(action, NoteRenderer(ref_key=KEY)))


def test_the_ref_of_a_note_rendered_before_refs_were_keyed_is_read_back_from_it() -> None:
    action = note_action("connect.greeting", first_name="Ana", tenure=None, subject="Help")
    old = render(action, NoteRenderer())  # as notes recorded by an earlier release read
    assert ref_in(old) == action.ref
    assert ref_in("a customer wrote · ref 0123456789 mid-sentence, then more") is None
