"""Text from outside (a helpdesk, a customer) made safe to store, to quote in an internal
note and to put in an e-mail header. Pure functions; connectors apply them at the
mapping boundary, so no rule, template or table ever sees the raw text.

Customers control subjects, names, addresses and tags, so:

- NUL and the other C0/C1 controls go (tab and newline stay in multi-line text):
  PostgreSQL refuses NUL in text and JSONB, and one such ticket would fail its page;
- a lone surrogate (JSON may carry `"\\ud800"` as an escape) becomes U+FFFD: no database
  driver or mail encoder can encode it;
- bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) go: in a note or a header
  they make "Ann\u202egnp.exe" read as another name or file than it is;
- one-line fields lose every line break (an e-mail header must stay one header).
"""

from __future__ import annotations

import re

MAX_DESCRIPTION = 20_000
"""Characters of a description kept: the FAQ matcher and the note templates read no more,
and a 1 MB body kept whole would cost memory for every ticket of a page and seconds of
tokenising per poll. The connectors' mappings cut there."""

MAX_LINE = 1_000
"""Characters kept of a one-line field (subject, name, tag, group name)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROLS = [c for c in range(0x20) if chr(c) not in "\t\n\r"] + list(range(0x7F, 0xA0))
_MULTI_LINE = str.maketrans(dict.fromkeys([*_CONTROLS, *map(ord, _BIDI)]))
_SPACES = re.compile(r"\s+")  # Unicode white space: line and paragraph separators too


def clean_text(text: str, limit: int | None = None) -> str:
    """Multi-line text made safe: see the module docstring. Line ends become "\\n";
    with `limit`, only the first `limit` characters are kept."""
    if limit is not None:
        # Cut before cleaning so a 1 MB body is not scanned whole (a little spare for
        # what cleaning removes); cut again after.
        text = text[: limit + 1_000]
    if _SURROGATE.search(text):
        # A valid pair (rare in a str, but possible) becomes its one character again.
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n")
    text = text.translate(_MULTI_LINE)
    return text if limit is None else text[:limit]


def clean_line(text: str, limit: int = MAX_LINE) -> str:
    """One-line text made safe: also no line break, runs of white space as one space,
    trimmed; longer than `limit`, cut with an ellipsis."""
    text = _SPACES.sub(" ", clean_text(text[: limit * 2 + 1_000])).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
