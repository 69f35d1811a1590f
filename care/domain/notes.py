"""Render a rule's NoteDraft into the text agents read in the helpdesk.

Templates are Jinja2 files named after the draft (`resolve.response_sla.j2`).
An ops engineer may override any of them from a folder of their own
(`templates_dir` in care.toml); that folder is searched first, the bundled
`care/templates/` second, and everything is then rendered in Jinja2's sandbox
so a template cannot reach into Python.

Every internal note starts with a "[CARE] <title> · <rule>" line and ends with a footer
holding its ref (`care.domain.actions.action_ref`, keyed with the store's secret), even
when a custom template forgets them: agents see which rule wrote a note, and the product can
recognise its own notes later (`ref_in`). A public reply (the greeting in `reply`
mode) goes to the customer and is left unframed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment

from care.domain.actions import Action, NoteDraft, action_ref
from care.domain.wording import duration, plural

BUNDLED_DIR = Path(__file__).parents[1] / "templates"


REF = re.compile(r"· ref ([0-9a-f]{10})\s*$")
REFS = re.compile(r"· ref ([0-9a-f]{10})\s*$", re.MULTILINE)


def header(action: Action) -> str:
    return f"[CARE] {action.rule}"


def footer(ref: str) -> str:
    return f"— CARE pipelines · ref {ref}"


# The order a combined note shows its sections in: what an agent must act on first.
URGENCY = ("resolve.two_interactions", "resolve.response_sla")
SECTION_BREAK = "\n\n" + "─" * 24 + "\n\n"


def combine(sections: Sequence[tuple[str, str]]) -> str:
    """One internal note from several rules' notes, `(rule, rendered note)` each: the
    most urgent first (escalation, breach, then the rest as given), each section still
    headed by its rule and ending with its ref, so agents and crash recovery alike can
    tell which rule wrote what."""
    ordered = sorted(sections, key=lambda section: urgency(section[0]))
    return SECTION_BREAK.join(text.strip() for _, text in ordered)


def urgency(rule: str) -> int:
    """Where a rule's section goes in a combined note: lower first (`URGENCY`)."""
    return URGENCY.index(rule) if rule in URGENCY else len(URGENCY)


def refs_in(note: str | None) -> list[str]:
    """Every section ref of a (combined) note, in order."""
    return REFS.findall(note) if note else []


def ref_in(note: str | None) -> str | None:
    """The ref a rendered note ends with (keyed, or unkeyed in notes made before)."""
    match = REF.search(note.strip()) if note else None
    return match[1] if match else None


class NoteRenderer:
    """Renders drafts with the user's templates first, the bundled ones second.

    `ref_key`: the store's secret for note refs (`Store.note_ref_key`); without it the
    refs are unkeyed, as in tests that look at wording only."""

    def __init__(self, templates_dir: str | None = None, ref_key: bytes | None = None) -> None:
        self._ref_key = ref_key
        loaders = [FileSystemLoader(BUNDLED_DIR)]
        env_class: type[Environment] = Environment
        if templates_dir:
            if not Path(templates_dir).is_dir():
                raise ValueError(f"templates_dir {templates_dir!r} is not a folder")
            loaders.insert(0, FileSystemLoader(templates_dir))
            env_class = SandboxedEnvironment
        self.templates_dir = templates_dir
        self.env = env_class(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,  # notes are plain text, not HTML
        )
        # `{{ elapsed | duration }}` (a timedelta, or a number of minutes) and
        # `{{ 4 | plural("time") }}` -> "4 times": see care.domain.wording.
        self.env.filters["duration"] = partial(duration, unit="minutes")
        self.env.filters["plural"] = plural

    def ref(self, action: Action) -> str:
        return action_ref(action.key, self._ref_key)

    def render(self, draft: NoteDraft, action: Action) -> str:
        """The note text; raises ValueError naming the template file on any template error."""
        ref = self.ref(action)
        text = self._render_template(f"{draft.template}.j2", _context(draft, action, ref))
        return text.strip() if draft.public else _framed(text, action, ref)

    def _render_template(self, name: str, context: dict[str, Any]) -> str:
        try:
            template = self.env.get_template(name)
        except TemplateNotFound:
            where = f"{self.templates_dir} or {BUNDLED_DIR}" if self.templates_dir else BUNDLED_DIR
            raise ValueError(f"note template {name} not found in {where}") from None
        except TemplateSyntaxError as exc:
            raise ValueError(
                f"note template {exc.filename or name}, line {exc.lineno}: {exc.message}"
            ) from None
        try:
            return template.render(context)
        except TemplateError as exc:
            raise ValueError(f"note template {template.filename or name}: {exc}") from None
        except Exception as exc:  # a filter or expression failed on the given fields
            raise ValueError(
                f"note template {template.filename or name}: {type(exc).__name__}: {exc}"
            ) from None


def _context(draft: NoteDraft, action: Action, ref: str) -> dict[str, Any]:
    return {
        **draft.fields,
        "rule": action.rule,
        "variant": action.variant,
        "reason": action.reason,
        "ref": ref,
        "helpdesk": action.helpdesk,
        "ticket_id": action.ticket_id,
        "public": draft.public,
    }


def _framed(text: str, action: Action, ref: str) -> str:
    """Guarantee a first line naming the rule and the footer with the ref."""
    text = text.strip()
    if action.rule not in text.split("\n", 1)[0]:
        text = f"{header(action)}\n\n{text}" if text else header(action)
    if ref_in(text) != ref:
        text = f"{text}\n\n{footer(ref)}"
    return text
