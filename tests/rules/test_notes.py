"""Notes: bundled templates, user overrides, the [CARE] header and the ref footer."""

from __future__ import annotations

from pathlib import Path

import pytest

from care.domain.actions import Action, NoteDraft
from care.domain.faq import FaqIndex
from care.domain.notes import NoteRenderer, combine, refs_in
from care.domain.rules import evaluate
from tests.rules.builders import DAY, HOUR, MINUTE, NOW, policy, ticket, unanswered

BUNDLED = NoteRenderer()


def note_action(rule: str = "resolve.passed_around", **fields: object) -> Action:
    return Action(
        rule=rule,
        helpdesk="zendesk",
        ticket_id="1001",
        reason="because",
        note=NoteDraft(rule, fields),
    )


def noted_actions() -> list[Action]:
    """One action per note-writing rule, straight from the rules."""
    p = policy(two_interactions={"call_booking_url": "https://cal.example.com/support"})
    busy = unanswered(
        26 * HOUR + 5 * MINUTE,
        subject="How do I reset my password?",
        description="The reset link never arrives.",
        requester={"created_at": NOW - 800 * DAY},
        group_hops=4,
        assignee_hops=1,
        group_id="20",
        assignee_id="7",
    )
    escalated = ticket(
        agent_replies=2,
        last_agent_reply_at=NOW - DAY,
        last_requester_message_at=NOW - HOUR,
    )
    actions = evaluate(busy, p, NOW, FaqIndex.load()) + evaluate(escalated, p, NOW, None)
    return [a for a in actions if a.note is not None]


def render(action: Action, renderer: NoteRenderer = BUNDLED) -> str:
    assert action.note is not None
    return renderer.render(action.note, action)


def test_every_rule_with_a_note_has_a_bundled_template() -> None:
    assert sorted({a.rule for a in noted_actions()}) == [
        "assist.faq",
        "connect.greeting",
        "resolve.passed_around",
        "resolve.response_sla",
        "resolve.two_interactions",
    ]


@pytest.mark.parametrize("action", noted_actions(), ids=lambda a: a.rule)
def test_notes_start_with_a_plain_title_and_the_rule_and_end_with_the_ref(action: Action) -> None:
    text = render(action)
    first = text.splitlines()[0]
    assert first.startswith("[CARE] ") and first.endswith(f" · {action.rule}")
    assert text.splitlines()[-1] == f"— CARE pipelines · ref {action.ref}"
    assert "  \n" not in text and "\n\n\n" not in text


def by_rule(rule: str) -> Action:
    return next(a for a in noted_actions() if a.rule == rule)


def test_greeting_note_greets_by_first_name_with_tenure() -> None:
    text = render(by_rule("connect.greeting"))
    assert "\nHi Ana,\n" in text
    assert "with us for 2 years" in text


def test_greeting_without_a_name_says_hi_alone() -> None:
    action = note_action("connect.greeting", first_name="", tenure=None, subject="Help")
    text = render(action)
    assert "\nHi,\n" in text and "with us" not in text


def test_public_greeting_is_only_the_greeting() -> None:
    fields = {"first_name": "Ana", "tenure": None, "subject": "X"}
    draft = NoteDraft("connect.greeting", fields, public=True)
    action = note_action("connect.greeting")
    text = BUNDLED.render(draft, action)
    assert text.startswith("Hi Ana,")
    assert "[CARE]" not in text and action.ref not in text


def test_faq_note_lists_titles_and_links() -> None:
    text = render(by_rule("assist.faq"))
    link = "https://help.example.com/articles/password-reset"
    assert f"1. Reset a forgotten password\n   {link}" in text


def test_sla_note_states_target_elapsed_and_since() -> None:
    text = render(by_rule("resolve.response_sla"))
    assert "since 2025-03-04 09:55 UTC" in text
    assert "Elapsed: 26 h 5 min." in text
    assert "Target: 24 h for normal priority." in text


def test_two_interactions_note_proposes_a_call_with_the_booking_link() -> None:
    text = render(by_rule("resolve.two_interactions"))
    assert text.startswith("[CARE] Escalate: not solved in two interactions ·")
    assert "wrote again after 2 agent replies" in text
    assert "https://cal.example.com/support" in text


def test_two_interactions_note_without_link_asks_for_a_time() -> None:
    action = note_action(
        "resolve.two_interactions",
        agent_replies=3,
        call_booking_url=None,
        first_name="Ana",
        escalation_group_id="99",
    )
    text = render(action)
    assert "moved to group 99" in text
    assert "Let me know a couple of times" in text and "http" not in text


def test_passed_around_note_names_the_hops_and_current_owner() -> None:
    text = render(by_rule("resolve.passed_around"))
    assert "moved between groups 4 times and assignees 1 time" in text
    assert "Now with group 20, assignee 7." in text


# --- user templates -----------------------------------------------------------------


def user_dir(tmp_path: Path, name: str, body: str) -> NoteRenderer:
    (tmp_path / name).write_text(body, encoding="utf-8")
    return NoteRenderer(str(tmp_path))


def test_a_user_template_overrides_only_its_own_note(tmp_path: Path) -> None:
    renderer = user_dir(
        tmp_path,
        "resolve.passed_around.j2",
        "[CARE] {{ rule }} — ping-pong x{{ group_hops }}\n\n— ours · ref {{ ref }}\n",
    )
    action = by_rule("resolve.passed_around")
    assert render(action, renderer) == (
        f"[CARE] resolve.passed_around — ping-pong x4\n\n— ours · ref {action.ref}"
    )
    assert render(by_rule("assist.faq"), renderer) == render(by_rule("assist.faq"))


def test_a_user_template_that_forgets_header_and_footer_gets_them(tmp_path: Path) -> None:
    renderer = user_dir(tmp_path, "resolve.passed_around.j2", "Hops: {{ group_hops }}")
    action = by_rule("resolve.passed_around")
    assert render(action, renderer) == (
        f"[CARE] resolve.passed_around\n\nHops: 4\n\n— CARE pipelines · ref {action.ref}"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{% if %}", "line 1"),
        ("{{ no_such_field }}", "no_such_field"),
        ("{{ ''.__class__.__mro__ }}", "resolve.passed_around.j2"),
        ("{{ group_hops | nope }}", "nope"),
    ],
    ids=["syntax", "undefined", "sandbox", "unknown-filter"],
)
def test_a_broken_user_template_is_a_value_error_naming_the_file(
    tmp_path: Path, body: str, message: str
) -> None:
    renderer = user_dir(tmp_path, "resolve.passed_around.j2", body)
    with pytest.raises(ValueError) as caught:
        render(by_rule("resolve.passed_around"), renderer)
    assert "resolve.passed_around.j2" in str(caught.value)
    assert message in str(caught.value)


def test_a_missing_template_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"note template nothing\.here\.j2 not found"):
        render(note_action("nothing.here"))


def test_a_templates_dir_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a folder"):
        NoteRenderer(str(tmp_path / "missing"))


def test_passed_around_note_without_owner_says_so() -> None:
    action = note_action(
        "resolve.passed_around", group_hops=0, assignee_hops=3, group_id=None, assignee_id=None
    )
    text = render(action)
    assert "moved between groups 0 times and assignees 3 times" in text
    assert "Now with no group, no assignee." in text


def test_a_greeting_past_the_response_target_apologises_for_the_wait() -> None:
    late = render(
        note_action("connect.greeting", first_name="Ana", tenure=None, subject="X", late=True)
    )
    on_time = render(note_action("connect.greeting", first_name="Ana", tenure=None, subject="X"))
    assert "I'm sorry you have waited this long" in late
    assert "waited past the response target" in late
    assert "sorry" not in on_time


def test_a_combined_note_puts_the_escalation_and_the_breach_first_each_with_its_ref() -> None:
    actions = {a.rule: a for a in noted_actions()}
    sections = [(rule, render(actions[rule])) for rule in actions]  # in SPEC order
    combined = combine(sections)
    titles = [line for line in combined.splitlines() if line.startswith("[CARE] ")]
    assert titles[0].endswith("· resolve.two_interactions")
    assert titles[1].endswith("· resolve.response_sla")
    assert [t.rsplit(" · ", 1)[1] for t in titles[2:]] == [
        "connect.greeting",
        "assist.faq",
        "resolve.passed_around",
    ]
    assert sorted(refs_in(combined)) == sorted(a.ref for a in actions.values())
