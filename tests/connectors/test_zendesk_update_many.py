"""Writing back: update_many bulk and batch jobs, followed to completion."""

from __future__ import annotations

from care.domain.model import Priority
from connectors.base import Change
from tests.connectors.conftest import oauth_client

OPEN_IDS = [str(i) for i in (1, 2, 3, 5, 6, 7, 8, 9, 10)]


def update_many_calls(sb):
    return [p for m, p in sb.requests_log if m == "PUT" and "update_many" in p]


def test_tag_changes_of_nine_tickets_are_one_batch_call_that_keeps_agent_tags(sandbox):
    before = {i: set(sandbox.ticket(int(i))["tags"]) for i in OPEN_IDS}
    client = oauth_client(sandbox)
    changes = [
        Change(ref=n, ticket_id=i, add_tags=frozenset({"care_greeted"}))
        for n, i in enumerate(OPEN_IDS)
    ]
    sandbox.reset_log()
    report = client.apply(changes)
    assert sorted(report.applied) == list(range(len(OPEN_IDS))) and not report.failed
    assert len(update_many_calls(sandbox)) == 1
    assert [p for m, p in sandbox.requests_log if m == "GET"].count(
        "/api/v2/tickets/show_many"
    ) == 1
    for i in OPEN_IDS:
        assert set(sandbox.ticket(int(i))["tags"]) == before[i] | {"care_greeted"}


def test_tags_priority_and_note_of_a_ticket_are_one_update_with_one_private_note(sandbox):
    client = oauth_client(sandbox)
    change = Change(
        ref=1,
        ticket_id="28",
        add_tags=frozenset({"care_escalated"}),
        set_priority=Priority.URGENT,
        note="[CARE] Escalate: not solved in two interactions · resolve.two_interactions",
    )
    audits_before = sandbox.audits(28)
    submission = client.submit([change])
    assert len(submission.jobs) == 1
    report, running = client.settle(submission.jobs, wait=True)
    assert report.applied == [1] and not report.failed and not running
    ticket = sandbox.ticket(28)
    assert ticket["priority"] == "urgent" and "care_escalated" in ticket["tags"]
    note = sandbox.comments(28)[-1]
    assert note["public"] is False and note["body"].startswith("[CARE] Escalate")
    assert sandbox.audits(28) == audits_before + 1  # one ticket update


def test_a_failed_job_item_fails_only_that_change(sandbox):
    client = oauth_client(sandbox)
    changes = [
        Change(ref=1, ticket_id="1", add_tags=frozenset({"care_x"})),
        Change(ref=2, ticket_id="999999", add_tags=frozenset({"care_x"})),
    ]
    report = client.apply(changes)
    assert report.applied == [1]
    assert "999999" in report.failed[2]


def test_250_changes_cost_three_batch_calls(sandbox):
    client = oauth_client(sandbox)
    ids = [str(i) for i in range(1, 251) if sandbox.ticket(i)["status"] != "closed"]
    changes = [
        Change(ref=n, ticket_id=i, add_tags=frozenset({"care_seen"})) for n, i in enumerate(ids)
    ]
    sandbox.reset_log()
    report = client.apply(changes)
    assert len(report.applied) == len(ids)
    assert len(update_many_calls(sandbox)) == -(-len(ids) // 100)


def test_an_interrupted_note_is_found_by_its_ref_and_not_posted_again(sandbox):
    client = oauth_client(sandbox)
    note = "[CARE] resolve.passed_around — moved 4 times\n— CARE pipelines · ref abc1234567"
    client.apply([Change(ref=1, ticket_id="31", note=note, note_ref="abc1234567")])
    comments_before = len(sandbox.comments(31))
    # The process died after submitting: the retry knows only a job id that expired.
    retry = Change(ref=1, ticket_id="31", note=note, note_ref="abc1234567", job_id="gone")
    report = client.apply([retry])
    assert report.applied == [1]
    assert len(sandbox.comments(31)) == comments_before


def test_a_submitted_job_that_completed_is_settled_without_a_new_write(sandbox):
    client = oauth_client(sandbox)
    (job_id,) = client.submit([Change(ref=1, ticket_id="2", add_tags=frozenset({"care_y"}))]).jobs
    client.settle({job_id: {"2": [1]}}, wait=True)
    sandbox.reset_log()
    report = client.apply(
        [Change(ref=1, ticket_id="2", add_tags=frozenset({"care_y"}), job_id=job_id)]
    )
    assert report.applied == [1]
    assert update_many_calls(sandbox) == []


def test_a_note_whose_job_is_still_running_is_followed_not_posted_again():
    from sandboxes.zendesk import ZendeskSandbox

    with ZendeskSandbox(tickets=40, job_delay_ms=300) as sb:
        client = oauth_client(sb)
        note = "[CARE] connect.greeting — hi\n— CARE pipelines · ref 0123456789"
        first = client.submit([Change(ref=1, ticket_id="1", note=note, note_ref="0123456789")])
        (job_id,) = first.jobs
        # The worker died right after submitting; a second attempt knows the job id.
        retry = Change(ref=1, ticket_id="1", note=note, note_ref="0123456789", job_id=job_id)
        sb.reset_log()
        report = client.apply([retry])
        assert report.applied == [1]
        assert update_many_calls(sb) == []
        assert sum("ref 0123456789" in c["body"] for c in sb.comments(1)) == 1


def test_settle_without_waiting_leaves_running_jobs_for_later():
    from sandboxes.zendesk import ZendeskSandbox

    with ZendeskSandbox(tickets=40, job_delay_ms=2000) as sb:
        client = oauth_client(sb)
        submission = client.submit([Change(ref=7, ticket_id="3", add_tags=frozenset({"care_z"}))])
        report, running = client.settle(submission.jobs, wait=False)
        assert report.applied == [] and running == submission.jobs
        report, running = client.settle(running, wait=True)
        assert report.applied == [7] and running == {}


def solved_ticket(sb) -> str:
    return str(next(i for i in range(1, 251) if sb.ticket(i)["status"] == "solved"))


def test_a_reopen_sets_a_solved_ticket_open_with_its_tag_and_note(sandbox):
    ticket_id = solved_ticket(sandbox)
    before = set(sandbox.ticket(int(ticket_id))["tags"])
    change = Change(
        ref=1,
        ticket_id=ticket_id,
        add_tags=frozenset({"care_survey_unsolved"}),
        reopen=True,
        note="[CARE] enhance.survey_answer — not solved",
    )
    report = oauth_client(sandbox).apply([change])
    assert report.applied == [1] and not report.failed
    ticket = sandbox.ticket(int(ticket_id))
    assert ticket["status"] == "open"
    assert set(ticket["tags"]) == before | {"care_survey_unsolved"}
    assert sandbox.comments(int(ticket_id))[-1]["public"] is False


def test_a_reopen_and_a_plain_tag_change_share_one_batch_call(sandbox):
    solved = [str(i) for i in range(1, 251) if sandbox.ticket(i)["status"] == "solved"][:2]
    changes = [
        Change(ref=1, ticket_id=solved[0], add_tags=frozenset({"care_x"}), reopen=True),
        Change(ref=2, ticket_id=solved[1], add_tags=frozenset({"care_x"})),
    ]
    sandbox.reset_log()
    assert sorted(oauth_client(sandbox).apply(changes).applied) == [1, 2]
    assert len(update_many_calls(sandbox)) == 1
    assert sandbox.ticket(int(solved[0]))["status"] == "open"
    assert sandbox.ticket(int(solved[1]))["status"] == "solved"


def test_an_agent_s_tag_edit_racing_our_write_is_read_again_never_overwritten(sandbox):
    client = oauth_client(sandbox)
    read = client.ticket("9")
    assert read is not None
    change = Change(
        ref=1,
        ticket_id="9",
        add_tags=frozenset({"care_sla_breached"}),
        remove_tags=frozenset({"care_sla_warning"}),
        note="[CARE] Response target missed\n— CARE pipelines · ref 00aa11bb22",
        note_ref="00aa11bb22",
        base_tags=read.tags | {"care_sla_warning"},
        stamp=read.updated_at,
    )
    # Between our read and our write, an agent adds a tag (and our warning is there).
    sandbox.touch(9, tags=[*sorted(read.tags), "agent_just_added", "care_sla_warning"])
    report = client.apply([change])
    assert report.applied == [1] and not report.failed
    tags = set(sandbox.ticket(9)["tags"])
    assert {"agent_just_added", "care_sla_breached"} <= tags and "care_sla_warning" not in tags
    assert tags >= read.tags
    assert sum("ref 00aa11bb22" in c["body"] for c in sandbox.comments(9)) == 1


def test_a_ticket_an_agent_keeps_editing_is_left_to_a_later_retry_not_overwritten(sandbox):
    import dataclasses

    from connectors.zendesk import client as zendesk_client

    client = oauth_client(sandbox)
    read = client.tickets

    def always_stale(ids):  # every read comes back older than the ticket: it "keeps changing"
        return {
            i: t and dataclasses.replace(t, updated_at=t.updated_at.replace(year=2020))
            for i, t in read(ids).items()
        }

    client.tickets = always_stale
    sandbox.reset_log()
    report = client.apply([Change(ref=1, ticket_id="10", add_tags=frozenset({"care_x"}))])
    assert "UpdateConflict" in report.failed[1]
    assert "care_x" not in sandbox.ticket(10)["tags"]
    assert len(update_many_calls(sandbox)) == 1 + zendesk_client.CONFLICT_ROUNDS
