"""`care demo`: the main job on embedded defaults, start to finish."""

from __future__ import annotations

import os

import pytest
from rich.console import Console

from care.app.demo import run_demo, tickets_noted_twice

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_demo_tags_escalates_surveys_and_applies_nothing_twice(tmp_path, monkeypatch):
    monkeypatch.setenv("CARE_ZENDESK_OAUTH_TOKEN", "the-operator-s-own")  # not the demo's
    before = dict(os.environ)
    console = Console(record=True, width=120)
    workdir = tmp_path / "care-demo"
    workdir.mkdir()
    (workdir / "my-notes.txt").write_text("kept")
    run_demo(console, tickets=120, workdir=str(workdir))
    text = console.export_text()
    for rule in (
        "connect.greeting",
        "assist.faq",
        "resolve.response_sla",
        "resolve.two_interactions",
    ):
        assert rule in text
    assert "What an agent sees: one internal note per ticket" in " ".join(text.split())
    assert "rules):" in text and "────────────────────────" in text  # a combined note
    followed = " ".join(text.split("One wait followed", 1)[1].split())
    assert "→ care_sla_breached, one note" in followed
    assert "an agent answers; the next poll → no SLA tag" in followed
    assert "zendesk" in text and "freshdesk" in text  # both helpdesks, side by side
    # Computed from both sandboxes: no ticket shows one of CARE's note refs twice.
    assert "— nothing applied twice." in text and "applied twice on" not in text
    later = text.split("Agents move tickets", 1)[1]
    # New decisions may appear there (hops, a ticket crossing its SLA meanwhile); repeats
    # may not, which tests/flows/test_poll_flow.py proves note by note.
    assert "round 3:" in later and "resolve.passed_around" in later
    assert "Parity: the 39 named scenarios got the same" in text
    (page,) = (workdir / "reports").glob("care-report-*.html")
    assert str(page) in " ".join(text.split()) and "<svg" in page.read_text()
    answered = text.split("A customer answers a survey", 1)[1]
    answered = " ".join(answered.split())  # as one line, however the console wrapped it
    assert "(HTTP 200: the answer page, nothing recorded yet)" in answered
    assert "sent the answer with a comment (HTTP 200)" in answered
    assert "care_survey_unsolved" in answered and "status open" in answered
    outreach = " ".join(text.split("Assist before the customer complains", 1)[1].split())
    assert "POST /events/sentry (HTTP 202)" in outreach
    assert "The outreach run opened zendesk #" in outreach
    assert "care_outreach, care_proactive" in outreach and "Checking out fails" in outreach
    assert "again (HTTP 202, a duplicate): 0 tickets opened — nothing changed." in outreach
    mails = list((tmp_path / "care-demo" / "outbox").glob("*.eml"))
    assert mails and f"{len(mails)} in" in text
    assert "Traceback" not in text and "ERROR" not in text
    assert (workdir / "my-notes.txt").read_text() == "kept"  # a demo removes only its own files
    # The settings reached the flows as parameters and a scoped environment: the
    # process's own is as it was, and an operator's credential did not leak in.
    assert dict(os.environ) == before


class _Sandbox:
    def __init__(self, bodies: dict[int, list[str]]):
        self.bodies = bodies

    def note_texts(self, ticket_id: int) -> list[str]:
        return self.bodies[ticket_id]


def test_a_note_ref_posted_twice_on_a_ticket_is_named():
    once, other = "[CARE] a\n— CARE pipelines · ref 0123456789", "— CARE pipelines · ref abcdefabcd"
    sandboxes = {
        "zendesk": _Sandbox({1: [once, other], 2: [once]}),  # the same ref on two tickets
        "freshdesk": _Sandbox({1: [once], 2: [other, "agent reply", other]}),
    }
    assert tickets_noted_twice(sandboxes, tickets=2) == ["freshdesk #2"]
