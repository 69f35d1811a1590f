"""The same answer link on a Freshdesk ticket: tag, private notes, status back to Open."""

from __future__ import annotations

from sandboxes.freshdesk import FreshdeskSandbox

OPEN, RESOLVED = 2, 4


def test_an_unsolved_answer_and_its_comment_reach_the_freshdesk_ticket(start_survey) -> None:
    with FreshdeskSandbox(tickets=60, seed=4, job_delay_ms=5) as sandbox:
        ticket_id = next(i for i in range(1, 61) if sandbox.ticket(i)["status"] == RESOLVED)
        sandbox.touch(ticket_id, tags=["vip"])
        survey = start_survey(sandbox)
        link = survey.link("unsolved", ticket_id)

        answered = survey.send(link)
        commented = survey.post(link, {"comment": "Still no refund on my card."})
        survey.post(link, {"comment": "Anyone?"})
        ticket = sandbox.ticket(ticket_id)
        notes = [n for n in sandbox.notes(ticket_id) if n["body_text"].startswith("[CARE]")]

    assert answered.status_code == commented.status_code == 200
    assert ticket["status"] == OPEN
    assert set(ticket["tags"]) == {"vip", "care_survey_unsolved"}
    assert [n["body_text"].split(" — ")[0] for n in notes] == [
        "[CARE] enhance.survey_answer",
        "[CARE] enhance.survey_comment",
    ]
    assert all(n["private"] for n in notes)
    assert "Still no refund on my card." in notes[1]["body"]
    stored = survey.answer(ticket_id)
    assert stored is not None and not stored.answer_pending and not stored.comment_pending
