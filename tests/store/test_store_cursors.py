from __future__ import annotations

from datetime import UTC, datetime

from care.store import Store


def test_unknown_helpdesk_has_no_cursor(store: Store) -> None:
    assert store.cursor("zendesk") is None
    assert store.cursor_info("zendesk") is None


def test_saved_cursor_comes_back_and_tickets_add_up(store: Store) -> None:
    before = datetime.now(UTC)
    store.poll_started("zendesk")
    store.save_cursor("zendesk", "1700000000", tickets=120)
    store.save_cursor("zendesk", "1700000600", tickets=5)

    assert store.cursor("zendesk") == "1700000600"
    info = store.cursor_info("zendesk")
    assert info is not None
    assert info.tickets_seen == 125
    assert info.last_error is None
    assert info.last_poll_started_at is not None
    assert info.last_poll_finished_at is not None
    assert before <= info.last_poll_started_at <= info.last_poll_finished_at
    assert info.updated_at.tzinfo is UTC
    assert store.cursor("freshdesk") is None


def test_failed_poll_keeps_the_cursor_and_the_next_success_clears_the_error(
    store: Store,
) -> None:
    store.save_cursor("zendesk", "c-1", tickets=10)
    store.poll_started("zendesk")
    store.poll_failed("zendesk", "RateLimited: retry after 60 s")

    info = store.cursor_info("zendesk")
    assert info is not None
    assert (info.cursor, info.last_error, info.tickets_seen) == (
        "c-1",
        "RateLimited: retry after 60 s",
        10,
    )

    store.save_cursor("zendesk", "c-2", tickets=1)
    info = store.cursor_info("zendesk")
    assert info is not None
    assert (info.cursor, info.last_error, info.tickets_seen) == ("c-2", None, 11)


def test_first_poll_failing_records_the_error_without_a_cursor(store: Store) -> None:
    store.poll_started("freshdesk")
    store.poll_failed("freshdesk", "AuthError: check CARE_FRESHDESK_API_KEY")
    info = store.cursor_info("freshdesk")
    assert info is not None
    assert info.cursor is None
    assert info.last_error == "AuthError: check CARE_FRESHDESK_API_KEY"


def test_a_page_is_saved_only_when_it_had_tickets(store: Store) -> None:
    store.poll_started("zendesk")
    store.save_cursor("zendesk", "c-1", tickets=0, end_of_stream=True)  # nothing changed
    info = store.cursor_info("zendesk")
    assert info is not None and info.last_page_saved_at is None

    store.save_cursor("zendesk", "c-2", tickets=4)
    saved = store.cursor_info("zendesk")
    assert saved is not None and saved.last_page_saved_at is not None

    store.poll_failed("zendesk", "ServerError: 500")  # a poll failing before any page
    store.save_cursor("zendesk", "c-2", tickets=0, end_of_stream=True)  # and one reading nothing
    after = store.cursor_info("zendesk")
    assert after is not None and after.last_page_saved_at == saved.last_page_saved_at


def test_only_the_last_page_of_the_changes_marks_the_helpdesk_caught_up(store: Store) -> None:
    store.poll_started("zendesk")
    store.save_cursor("zendesk", "c-1", tickets=100)
    info = store.cursor_info("zendesk")
    assert info is not None and info.caught_up_at is None  # more pages to come

    store.save_cursor("zendesk", "c-2", tickets=20, end_of_stream=True)
    info = store.cursor_info("zendesk")
    assert info is not None and info.caught_up_at is not None
    assert info.caught_up_at >= info.last_poll_started_at

    store.poll_started("zendesk")
    store.poll_failed("zendesk", "ServerError: 500")
    failed = store.cursor_info("zendesk")
    assert failed is not None and failed.caught_up_at == info.caught_up_at
