"""`Store.overview`: the counts `care status` shows, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from care.store import Store
from tests.rules.builders import ticket
from tests.store.test_store_actions import action
from tests.store.test_store_surveys import request

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_an_empty_store_has_nothing_to_show(store: Store) -> None:
    overview = store.overview(NOW)
    assert overview.helpdesks == []
    assert overview.recent_actions == [] and overview.failed_actions == []
    assert set(overview.surveys.by_state.values()) == {0}
    assert overview.surveys.answers == {"solved": 0, "unsolved": 0}


def test_cursors_and_stored_tickets_per_helpdesk(store: Store) -> None:
    store.save_cursor("zendesk", "opaque-1", tickets=2)
    store.upsert_snapshots(
        [
            ticket(id="1", updated_at=NOW - timedelta(hours=3)),
            ticket(id="2", updated_at=NOW - timedelta(minutes=5)),
            ticket(helpdesk="freshdesk", id="9", updated_at=NOW - timedelta(days=1)),
        ],
        NOW,
    )
    overview = store.overview(NOW)
    assert overview.helpdesks == ["freshdesk", "zendesk"]
    assert overview.cursors["zendesk"].cursor == "opaque-1"
    assert "freshdesk" not in overview.cursors
    assert overview.tickets["zendesk"].count == 2
    assert overview.tickets["zendesk"].newest_change == NOW - timedelta(minutes=5)
    assert overview.tickets["freshdesk"].newest_change == NOW - timedelta(days=1)


def test_actions_by_helpdesk_rule_and_state_and_the_failures(store: Store) -> None:
    store.record_actions(
        [
            (action("1"), None),
            (action("2"), None),
            (action("3", rule="connect.greeting", helpdesk="freshdesk"), "Hi"),
        ],
        NOW,
    )
    first, second = store.claim_pending("zendesk", "t")
    store.mark_applied([first.id], NOW)
    store.mark_failed([second.id], "Zendesk: 422 ticket closed", max_attempts=1)
    (greeting,) = store.claim_pending("freshdesk", "t")
    store.mark_failed([greeting.id], "Freshdesk: 503", max_attempts=5)  # to be retried
    overview = store.overview(NOW, recent=2)
    assert overview.actions_by_rule == {
        "zendesk": {"assist.repeat_contact": {"applied": 1, "failed": 1}},
        "freshdesk": {"connect.greeting": {"pending": 1}},
    }
    assert len(overview.recent_actions) == 2
    assert [(a.ticket_id, a.state, a.last_error) for a in overview.failed_actions] == [
        ("3", "pending", "Freshdesk: 503"),
        ("2", "failed", "Zendesk: 422 ticket closed"),
    ]


def test_survey_totals(store: Store) -> None:
    store.schedule_surveys([request("1"), request("2", solved_at=NOW)], NOW)
    store.record_survey_answer("zendesk", "7", "a@example.com", "solved", NOW)
    store.record_survey_answer("zendesk", "8", "b@example.com", "unsolved", NOW)
    store.mark_survey_answer_written("zendesk", "7", NOW)
    store.record_survey_comment("zendesk", "7", "thanks", NOW)
    store.record_opt_out("c@example.com", NOW)
    surveys = store.overview(NOW).surveys
    assert surveys.by_state["scheduled"] == 2
    assert surveys.due_now == 1  # the other is due a day after NOW
    assert surveys.answers == {"solved": 1, "unsolved": 1}
    assert surveys.comments == 1
    assert surveys.pending_write_backs == 2  # 8's answer, 7's comment
    assert surveys.opt_outs == 1


def test_an_applied_action_whose_alert_a_channel_refused_is_among_the_failures(
    store: Store,
) -> None:
    store.record_actions([(action("7", rule="resolve.two_interactions", notify=True), None)], NOW)
    (escalation,) = store.claim_pending("zendesk", "t")
    store.mark_applied([escalation.id], NOW)
    (claimed,) = store.claim_alerts(
        "zendesk",
        ["resolve.two_interactions"],
        "alert-t",
        10,
        max_attempts=5,
        applied_since=NOW - timedelta(hours=1),
        now=NOW,
    )
    store.mark_alert_failed(claimed.id, "slack: 500 Internal Server Error", token="alert-t")
    (failing,) = store.overview(NOW).failed_actions
    assert (failing.ticket_id, failing.state) == ("7", "applied")
    assert failing.notify_error == "slack: 500 Internal Server Error"


def test_failing_actions_carry_their_retry_time_and_abandoned_claims_show_up(
    store: Store,
) -> None:
    store.record_actions([(action("1"), None), (action("2"), None), (action("3"), None)], NOW)
    refused, _abandoned, applied = store.claim_pending("zendesk", "run", now=NOW)
    store.mark_failed([refused.id], "ServerError: 500", now=NOW)
    store.mark_applied([applied.id], NOW)

    (only,) = store.overview(NOW + timedelta(minutes=5)).failed_actions
    assert (only.ticket_id, only.state, only.last_error) == ("1", "pending", "ServerError: 500")
    assert only.retry_at == NOW + timedelta(minutes=1)

    # The run holding ticket 2 stopped without a word: once its claim is stale, it shows.
    later = store.overview(NOW + timedelta(minutes=11)).failed_actions
    assert [(a.ticket_id, a.state) for a in later] == [("2", "applying"), ("1", "pending")]
