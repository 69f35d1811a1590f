"""Write-backs the helpdesk did not take: kept, retried by `write_back_pending`, never doubled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from care.domain.notes import NoteRenderer
from care.settings.load import Settings
from care.store import Store
from connectors.zendesk.kind import open_zendesk
from sandboxes.zendesk import ZendeskSandbox
from tasks.writeback import HelpdeskOpener, write_back, write_back_pending
from tests.ports import free_port
from tests.survey_server.conftest import Survey, answer_notes, solved_tickets

LATER = timedelta(minutes=10)  # past the grace the endpoint's own write-back has


def no_waiting(settings: Settings) -> HelpdeskOpener:
    """Zendesk connectors that retry without sleeping: a helpdesk that is down fails fast."""
    config = settings.helpdesk("zendesk")
    return lambda name: open_zendesk(config, sleep=lambda seconds: None)


def test_an_answer_given_while_the_helpdesk_is_down_is_kept_and_written_once_later(
    start_survey,
) -> None:
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5, port=free_port()) as sandbox:
        survey = start_survey(sandbox, open_helpdesk=no_waiting)
        ticket_id = solved_tickets(sandbox)[0]
        sandbox.stop()  # the helpdesk goes down

        page = survey.send(survey.link("unsolved", ticket_id))
        pending = survey.answer(ticket_id)

        sandbox.start()  # ... and comes back on the same address
        first = write_back_pending(
            survey.store,
            survey.settings,
            open_helpdesk=no_waiting(survey.settings),
            now=datetime.now(UTC) + LATER,
        )
        second = write_back_pending(
            survey.store,
            survey.settings,
            open_helpdesk=no_waiting(survey.settings),
            now=datetime.now(UTC) + LATER,
        )
        ticket = sandbox.ticket(ticket_id)
        notes = answer_notes(sandbox, ticket_id, "enhance.survey_answer")

    assert page.status_code == 200 and "Thank you for your answer" in page.text
    assert pending is not None and pending.answer == "unsolved" and pending.answer_pending
    assert pending.write_attempts == 1 and "CARE_ZENDESK_URL" in (pending.last_error or "")
    assert (first.answers_written, first.failed) == (1, {})
    assert (second.answers_written, second.failed) == (0, {})
    assert ticket["status"] == "open" and "care_survey_unsolved" in ticket["tags"]
    assert len(notes) == 1
    written = survey.answer(ticket_id)
    assert written is not None and not written.answer_pending and written.last_error is None


def test_a_fresh_answer_is_left_to_the_endpoint_that_is_writing_it(start_survey) -> None:
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5) as sandbox:
        survey = start_survey(sandbox)
        ticket_id = solved_tickets(sandbox)[0]
        survey.store.record_survey_answer(
            "zendesk", str(ticket_id), "a@example.com", "solved", datetime.now(UTC)
        )
        result = write_back_pending(survey.store, survey.settings)
        assert result.answers_written == 0
        assert answer_notes(sandbox, ticket_id, "enhance.survey_answer") == []


class CrashAfterWriting:
    """The store of a process killed after the helpdesk took the write, before its record."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def mark_survey_answer_written(self, *args: object) -> None:
        raise SystemExit("killed")


def test_a_note_that_reached_the_ticket_before_a_crash_is_not_posted_again(start_survey) -> None:
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5) as sandbox:
        survey = start_survey(sandbox)
        ticket_id = solved_tickets(sandbox)[0]
        answered = datetime.now(UTC)
        record, _ = survey.store.record_survey_answer(
            "zendesk", str(ticket_id), "a@example.com", "solved", answered
        )
        helpdesk = no_waiting(survey.settings)("zendesk")
        policy = survey.settings.policy
        try:
            write_back(
                CrashAfterWriting(survey.store),
                helpdesk,
                record,
                policy,
                NoteRenderer(ref_key=survey.store.note_ref_key()),
                answered,
            )
        except SystemExit:
            pass
        finally:
            helpdesk.close()
        assert len(answer_notes(sandbox, ticket_id, "enhance.survey_answer")) == 1

        result = write_back_pending(survey.store, survey.settings, now=answered + LATER)

        assert result.answers_written == 1
        assert len(answer_notes(sandbox, ticket_id, "enhance.survey_answer")) == 1
        assert "care_survey_solved" in sandbox.ticket(ticket_id)["tags"]
        stored = survey.answer(ticket_id)
        assert stored is not None and not stored.answer_pending and stored.write_attempts == 2


def test_an_answer_on_a_ticket_closed_meanwhile_is_kept_and_not_retried(start_survey) -> None:
    with ZendeskSandbox(tickets=60, seed=5, job_delay_ms=5) as sandbox:
        survey = start_survey(sandbox)
        ticket_id = next(i for i in range(1, 61) if sandbox.ticket(i)["status"] == "closed")
        answered = datetime.now(UTC) - LATER
        survey.store.record_survey_answer(
            "zendesk", str(ticket_id), "a@example.com", "solved", answered
        )
        first = write_back_pending(survey.store, survey.settings)
        again = write_back_pending(survey.store, survey.settings)
        kept = survey.answer(ticket_id)

    assert "is closed and takes no more updates" in first.failed[f"zendesk:{ticket_id}"]
    assert again.failed == {} and again.answers_written == 0  # given up, not retried
    assert kept is not None and kept.answer == "solved" and kept.answer_pending
    assert "closed" in (kept.last_error or "")


def test_an_answer_a_forged_link_recorded_for_several_tickets_is_never_written(
    survey: Survey,
) -> None:
    """Before links were bound to their survey, a forged one could record an answer for
    ticket "5,6,18"; written back, it would tag and reopen three tickets."""
    tickets = solved_tickets(survey.sandbox)[:3]
    several = ",".join(str(t) for t in tickets)
    before = {t: survey.sandbox.ticket(t) for t in tickets}
    survey.store.record_survey_answer(
        "zendesk", several, "x@example.com", "unsolved", datetime.now(UTC) - LATER
    )
    survey.sandbox.reset_log()

    result = write_back_pending(survey.store, survey.settings, now=datetime.now(UTC) + LATER)
    again = write_back_pending(survey.store, survey.settings, now=datetime.now(UTC) + LATER)

    assert {t: survey.sandbox.ticket(t) for t in tickets} == before
    assert survey.sandbox.requests_log == []
    assert "is not a zendesk ticket id" in result.failed[f"zendesk:{several}"]
    assert again.failed == {}  # given up, not tried again
    stored = survey.answer(several)
    assert stored is not None and "is not a zendesk ticket id" in (stored.last_error or "")
