"""Reading one field of vendor JSON as the type the mapping needs, or `MalformedRecord`
naming the field: a list where an object belongs must say so, not escape as a bare
`AttributeError` that fails the whole page. JSON null reads as absent everywhere.

Text goes through `care.domain.text`, so what a mapping returns is safe to store, to quote in a
note and to put in an e-mail header.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from care.domain.text import MAX_LINE, clean_line, clean_text
from connectors.errors import MalformedRecord

MAX_EMAIL = 254  # RFC 5321: no longer address can be delivered
MAX_TAG = 255


def kind(value: Any) -> str:
    """A JSON value's type in JSON's words, for reasons a person reads."""
    names = {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list"}
    if isinstance(value, Mapping):
        return "an object"
    return names.get(type(value), type(value).__name__)


def obj(value: Any, field: str) -> Mapping[str, Any]:
    """An object; null is an empty one."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise MalformedRecord(f"{field} is {kind(value)}, not an object")
    return value


def _raw_text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    # A number is read as its digits (a subject "404" sent as 404 by an integration).
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise MalformedRecord(f"{field} is {kind(value)}, not text")


def text(value: Any, field: str, limit: int | None = None) -> str:
    """Multi-line text (a description), cleaned; null is empty."""
    return clean_text(_raw_text(value, field), limit)


def line(value: Any, field: str, limit: int = MAX_LINE) -> str:
    """One-line text (a subject, a name), cleaned; null is empty."""
    return clean_line(_raw_text(value, field), limit)


def email(value: Any, field: str) -> str | None:
    """An e-mail address, cleaned and without any space; None when absent or too long to
    be one."""
    address = "".join(line(value, field, limit=MAX_EMAIL + 1).split())
    return address if address and len(address) <= MAX_EMAIL else None


def ident(value: Any, field: str) -> str | None:
    """A vendor id (both vendors number their records) as text; null is None."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise MalformedRecord(f"{field} is {value!r:.60}, not an integer id")


def count(value: Any, field: str) -> int:
    """A non-negative whole number (a metric); null is 0."""
    if value is None:
        return 0
    if isinstance(value, float) and math.isfinite(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise MalformedRecord(f"{field} is {value!r:.60}, not a count")


def tags(value: Any, field: str = "tags") -> frozenset[str]:
    """A list of tags, each cleaned; empty ones dropped; null is none."""
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise MalformedRecord(f"{field} is {kind(value)}, not a list")
    cleaned = (line(tag, f"{field}[{i}]", limit=MAX_TAG) for i, tag in enumerate(value))
    return frozenset(tag for tag in cleaned if tag)


def choice(value: Any, field: str, allowed: Mapping[Any, Any]) -> Any:
    """The value `allowed` maps `value` to; None for null."""
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or value not in allowed:
        raise MalformedRecord(f"unknown {field} {value!r:.60}")
    return allowed[value]
