"""A care.toml that does not validate, explained: each bad key named with the reason,
and for an unknown key the known key it most likely meant.

No message here shows a value from the file: a secret pasted under a misspelt key, or
into the wrong one, would otherwise be printed back by every command (pydantic's own
messages carry the input, so only their reason is kept).
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Any, get_args

import annotated_types as at
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

UNKNOWN = "unknown key (care.example.toml lists every key)"
_OUT_OF_RANGE = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_OUT_OF_RANGE |= {"finite_number"}  # nan or inf, e.g. delay_hours = inf


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it and says how to fix it."""


def explain(exc: ValidationError, source: str, root: type[BaseModel]) -> str:
    """One line per error of `exc`, raised validating the file `source` as `root`."""
    lines = [f"{source} is invalid:"]
    for error in exc.errors(include_input=False, include_url=False):
        key = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(f"  {key}: {unknown_key(error['loc'], root)}")
            continue
        span = _range(root, error["loc"]) if error["type"] in _OUT_OF_RANGE else None
        message = f"must be {span}" if span else error["msg"].removeprefix("Value error, ")
        lines.append(f"  {key}: {message}")
    return "\n".join(lines)


def unknown_key(loc: tuple[int | str, ...], root: type[BaseModel]) -> str:
    """ "unknown key; did you mean survey.delay_hours?" for survey.dealy_hours."""
    section = _section(root, loc[:-1])
    known = list(section.model_fields) if section else []
    close = get_close_matches(str(loc[-1]), known, n=1)
    if not close:
        return UNKNOWN
    return f"unknown key; did you mean {'.'.join(str(part) for part in (*loc[:-1], close[0]))}?"


def _range(root: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """ "from 0 to 720" for a key declared with Field(ge=0, le=720); None if unknown."""
    low = high = None
    for bound in _bounds(root, loc):
        if isinstance(bound, at.Ge):
            low = f"from {_number(bound.ge)}"
        elif isinstance(bound, at.Gt):
            low = f"more than {_number(bound.gt)}"
        elif isinstance(bound, at.Le):
            high = f"at most {_number(bound.le)}"
        elif isinstance(bound, at.Lt):
            high = f"less than {_number(bound.lt)}"
    if low and high and low.startswith("from ") and high.startswith("at most "):
        return f"{low} to {high.removeprefix('at most ')}"
    return " and ".join(part for part in (low, high) if part) or None


def _bounds(root: type[BaseModel], loc: tuple[int | str, ...]) -> list[Any]:
    """The annotated-types constraints of the key at `loc`: a model field's, or those of
    a table's values (`targets_by_priority.high` -> `dict[Priority, Hours]`)."""
    model: type[BaseModel] | None = root
    annotation: Any = None
    info: FieldInfo | None = None
    for part in loc:
        if model is not None and isinstance(part, str) and part in model.model_fields:
            info = model.model_fields[part]
            annotation = info.annotation
            model = _model_in(annotation)
            continue
        args = get_args(annotation)  # a key of a table: its value's type
        if len(args) != 2:
            return []
        annotation, info = args[1], None
        model = _model_in(annotation)
    metadata = list(info.metadata) if info else []
    for extra in get_args(annotation)[1:]:  # Annotated[float, Field(...)]
        metadata.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
    return metadata


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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
