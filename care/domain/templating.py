"""The Jinja2 environment for templates users may override (survey mail and pages, the
report): their `templates_dir` first, then the bundled folder; sandboxed, because a
user's template must not reach Python; HTML autoescaped."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

BUNDLED_TEMPLATES: Final = Path(__file__).resolve().parents[1] / "templates"


def template_environment(templates_dir: str | None) -> SandboxedEnvironment:
    loaders = [FileSystemLoader(BUNDLED_TEMPLATES)]
    if templates_dir is not None:
        if not Path(templates_dir).is_dir():
            raise ValueError(f"templates_dir {templates_dir!r} is not a folder")
        loaders.insert(0, FileSystemLoader(templates_dir))
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=_is_html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _is_html(template_name: str | None) -> bool:
    return template_name is not None and template_name.endswith((".html.j2", ".html"))
