"""The installation's own secret for note refs: made once, kept, never shared."""

from __future__ import annotations

from pathlib import Path

from care.store import Store


def test_the_note_ref_key_is_made_once_and_kept(store_url: str) -> None:
    with Store.open(store_url) as store:
        key = store.note_ref_key()
    with Store.open(store_url) as store:
        assert store.note_ref_key() == key
    assert len(key) == 32


def test_each_database_has_its_own_key(tmp_path: Path) -> None:
    keys = set()
    for name in ("a", "b"):
        with Store.open(f"sqlite:///{tmp_path / name}.db") as store:
            keys.add(store.note_ref_key())
    assert len(keys) == 2
