"""The report's key figures, each defined once: what it reads, which way is better, and
how it is counted, in the words the page's "How each figure is counted" prints.

Direction, trend, consistency and bottlenecks all read figures through `Figure.value`;
nothing else computes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from care.domain.metrics import Metrics, Rate, Thresholds

Unit = Literal["duration", "share"]

# A change smaller than this reads as "about the same": 5 % of a duration, 1 point of a share.
SAME_DURATION, SAME_SHARE = 0.05, 0.01


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str
    unit: Unit
    better: Literal["lower", "higher"]
    value: Callable[[Metrics], float | None]
    count: Callable[[Metrics], int]  # of a share: the numerator (e.g. breached waits)
    basis: Callable[[Metrics], int]  # what the figure counts over (e.g. waits)
    basis_noun: str  # "ticket", "wait", "survey", ...
    counted: str  # how it is counted; `{interactions}` and friends from `Thresholds`
    short: str = ""  # in a sentence: "first-reply p90", "next-reply breaches"

    def definition(self, t: Thresholds) -> str:
        return self.counted.format(
            interactions=t.interactions,
            group_hops=t.group_hops,
            assignee_hops=t.assignee_hops,
            came_back_days=f"{t.came_back_days:g}",
        )

    def is_better(self, before: float, after: float) -> bool | None:
        """True better, False worse, None about the same (see SAME_*)."""
        delta = after - before
        same = SAME_SHARE if self.unit == "share" else SAME_DURATION * max(abs(before), 1.0)
        if abs(delta) < same:
            return None
        return (delta < 0) == (self.better == "lower")


def _figure(
    key: str,
    label: str,
    better: Literal["lower", "higher"],
    rate: Callable[[Metrics], Rate],
    noun: str,
    counted: str,
    short: str,
) -> Figure:
    return Figure(
        key,
        label,
        "share",
        better,
        lambda m: rate(m).value,
        lambda m: rate(m).count,
        lambda m: rate(m).total,
        noun,
        counted,
        short,
    )


FIRST_REPLY_P50 = Figure(
    "first_reply_p50",
    "First reply, median",
    "duration",
    "lower",
    lambda m: m.first_response_median,
    lambda m: m.answered,
    lambda m: m.answered,
    "answered ticket",
    "first agent reply − creation, over the tickets created in the period that have a "
    "first agent reply: the middle value",
    short="first-reply median",
)
FIRST_REPLY_P90 = Figure(
    "first_reply_p90",
    "First reply, p90",
    "duration",
    "lower",
    lambda m: m.first_response_p90,
    lambda m: m.answered,
    lambda m: m.answered,
    "answered ticket",
    "as the median, the time 90 % of the answered tickets were answered within "
    "(interpolated between the closest ranks)",
    short="first-reply p90",
)
FIRST_REPLY_BREACHED = _figure(
    "first_reply_breached",
    "First replies breached",
    "lower",
    lambda m: m.first_reply_breached,
    "ticket",
    "tickets created in the period whose first agent reply came after the response target "
    "of their priority (in opening hours, with a business-hours calendar), or that are "
    "still new or open past it with none, or that a poll found breached / tickets created "
    "in the period",
    short="first-reply breaches",
)
NEXT_REPLY_BREACHED = _figure(
    "next_reply_breached",
    "Next replies breached",
    "lower",
    lambda m: m.next_reply_breached,
    "wait",
    "waits for a reply to a requester's later message (one each time the requester writes "
    "after an agent's public reply) that started in the period and lasted past the target "
    "(still waiting: up to the report's end), or that a poll found breached / those waits",
    short="next-reply breaches",
)
ESCALATED = _figure(
    "escalated",
    "Escalated",
    "lower",
    lambda m: m.escalated,
    "ticket",
    "tickets escalated by resolve.two_interactions / tickets created in the period",
    short="escalations",
)
SOLVED_IN_TWO = _figure(
    "solved_in_two",
    "Solved within {interactions} interactions",
    "higher",
    lambda m: m.solved_within,
    "solved ticket",
    "solved or closed tickets with at most {interactions} public agent replies / solved or "
    "closed tickets (created in the period)",
    short="tickets solved within {interactions} interactions",
)
REOPENED = _figure(
    "reopened",
    "Reopened",
    "lower",
    lambda m: m.reopened,
    "ticket",
    "tickets reopened at least once / tickets created in the period",
    short="reopened tickets",
)
PASSED_AROUND = _figure(
    "passed_around",
    "Passed around",
    "lower",
    lambda m: m.passed_around,
    "ticket",
    "tickets tagged by resolve.passed_around, or moved between groups ≥ {group_hops} times "
    "or between agents ≥ {assignee_hops} times / tickets created in the period",
    short="tickets passed around",
)
SURVEY_ANSWERED = _figure(
    "survey_answered",
    "Surveys answered",
    "higher",
    lambda m: m.survey_response,
    "survey",
    "surveys sent in the period that have an answer (by now) / surveys sent in the period",
    short="survey answers",
)
SURVEY_YES = _figure(
    "survey_yes",
    "“Yes, solved”",
    "higher",
    lambda m: m.survey_solved,
    "answer",
    "answers “Yes, solved” / answers, of the surveys sent in the period",
    short="“Yes, solved” answers",
)

KEY_FIGURES: tuple[Figure, ...] = (
    FIRST_REPLY_P50,
    FIRST_REPLY_P90,
    FIRST_REPLY_BREACHED,
    NEXT_REPLY_BREACHED,
    ESCALATED,
    SOLVED_IN_TWO,
    REOPENED,
    PASSED_AROUND,
    SURVEY_ANSWERED,
    SURVEY_YES,
)


def label(figure: Figure, t: Thresholds) -> str:
    return figure.label.format(interactions=t.interactions)
