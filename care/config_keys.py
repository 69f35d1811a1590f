"""A care.toml that does not validate, explained: each bad key named with the reason,
and for an unknown key the known key it most likely meant."""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

UNKNOWN = "unknown key (care.example.toml lists every key)"


def explain(exc: ValidationError, source: str, root: type[BaseModel]) -> str:
    """One line per error of `exc`, raised validating the file `source` as `root`."""
    lines = [f"{source} is invalid:"]
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            # No value shown: an unknown key may be a misspelt secret.
            lines.append(f"  {key}: {unknown_key(error['loc'], root)}")
            continue
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"  {key}: {message} (got {error.get('input')!r})")
    return "\n".join(lines)


def unknown_key(loc: tuple[int | str, ...], root: type[BaseModel]) -> str:
    """ "unknown key; did you mean survey.delay_hours?" for survey.dealy_hours."""
    section = _section(root, loc[:-1])
    known = list(section.model_fields) if section else []
    close = get_close_matches(str(loc[-1]), known, n=1)
    if not close:
        return UNKNOWN
    return f"unknown key; did you mean {'.'.join(str(part) for part in (*loc[:-1], close[0]))}?"


def _section(root: type[BaseModel], path: tuple[int | str, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = root
    for part in path:
        info = model.model_fields.get(part) if model and isinstance(part, str) else None
        model = _model_in(info.annotation) if info else None
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model in `Survey` or in `BusinessHours | None`."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None
