"""What one check of `care check` found (care/checks.py, care/checks_mail.py)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but needs attention; does not fail `care check`
    FAIL = "fail"
    SKIPPED = "skipped"  # not configured, or depends on a check that failed


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    outcome: Outcome
    message: str  # never holds a secret's value
    hint: str | None = None  # what to do, for a failure or a warning
