"""Direction, consistency, outcomes and bottlenecks on hand-built counts (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from care.domain.figures import FIRST_REPLY_P90, NEXT_REPLY_BREACHED, SURVEY_YES
from care.domain.insights import bottlenecks, direction, outcome_splits, spread
from care.domain.metrics import Quantiles, ScopeCounts, SurveyCounts, TicketCounts, WaitCounts
from care.domain.periods import CURRENT, PREVIOUS
from care.domain.report import Report, report_from_scopes
from care.domain.scopes import Happened, Level, OutcomeCounts, ScopeKey

END = datetime(2026, 3, 9, 7, tzinfo=UTC)
START = END - timedelta(days=7)
H = 3600.0


def counts(
    tickets: int = 20,
    p90_h: float | None = None,
    next_waits: int = 0,
    next_breached: int = 0,
    answers: int = 0,
    yes: int = 0,
) -> ScopeCounts:
    p90 = p90_h * H if p90_h is not None else None
    return ScopeCounts(
        tickets=TicketCounts(tickets=tickets),
        waits=WaitCounts(next_reply=next_waits, next_reply_breached=next_breached),
        surveys=SurveyCounts(sent=answers, answered=answers, solved=yes),
        first_response=Quantiles(tickets if p90 is not None else 0, p90, p90),
    )


def report(scopes: dict[ScopeKey, ScopeCounts], **kw: object) -> Report:
    """One helpdesk, zendesk: its total is everything, as the store would count it."""
    everything = scopes.get(ScopeKey(CURRENT, Level.ALL), ScopeCounts())
    scopes = {ScopeKey(CURRENT, Level.HELPDESK, "zendesk"): everything, **scopes}
    return report_from_scopes(scopes, START, END, **kw)  # type: ignore[arg-type]


def group(period: int, name: str) -> ScopeKey:
    return ScopeKey(period, Level.GROUP, "zendesk", name)


def test_direction_says_better_worse_or_about_the_same() -> None:
    r = report(
        {
            ScopeKey(PREVIOUS, Level.ALL): counts(p90_h=10, next_waits=40, next_breached=10),
            ScopeKey(CURRENT, Level.ALL): counts(p90_h=10.4, next_waits=40, next_breached=20),
        }
    )
    by_key = {c.figure.key: c for c in direction(r)}
    assert by_key["first_reply_p90"].verdict == "same"  # +4 %: under 5 %
    assert by_key["next_reply_breached"].verdict == "worse"  # 25 % → 50 %
    assert (by_key["next_reply_breached"].before, by_key["next_reply_breached"].after) == (
        0.25,
        0.5,
    )
    assert by_key["survey_yes"].verdict == "—"  # nothing to count either side


def test_a_faster_first_reply_and_more_yes_answers_read_better() -> None:
    r = report(
        {
            ScopeKey(PREVIOUS, Level.ALL): counts(p90_h=10, answers=10, yes=5),
            ScopeKey(CURRENT, Level.ALL): counts(p90_h=9, answers=10, yes=7),
        }
    )
    verdicts = {c.figure.key: c.verdict for c in direction(r)}
    assert verdicts["first_reply_p90"] == "better" and verdicts["survey_yes"] == "better"


def test_no_window_before_means_no_direction() -> None:
    r = report({ScopeKey(CURRENT, Level.ALL): counts(p90_h=10)})
    assert r.previous is None
    assert {c.verdict for c in direction(r)} == {"—"}


def agent(name: str) -> ScopeKey:
    return ScopeKey(CURRENT, Level.AGENT, "zendesk", agent=name)


def test_agents_far_from_the_team_are_called_out_and_small_samples_are_not_ranked() -> None:
    r = report(
        {
            ScopeKey(CURRENT, Level.ALL): counts(tickets=60, p90_h=10, answers=40, yes=30),
            agent("a1"): counts(tickets=20, p90_h=16, answers=20, yes=10),  # 1.6×, 50 %
            agent("a2"): counts(tickets=20, p90_h=11, answers=20, yes=16),  # near the team
            agent("a3"): counts(tickets=3, p90_h=40, answers=3, yes=0),  # too few
        },
        agent_names={("zendesk", "a1"): "Ana"},
        min_tickets=10,
    )
    p90 = spread(r, r.agents, FIRST_REPLY_P90)
    assert [(o.scope.label, o.value / H) for o in p90.far] == [("zendesk · Ana", 16)]
    assert [s.label for s, _ in p90.ranked] == ["zendesk · agent a2", "zendesk · Ana"]
    assert [s.label for s in p90.few] == ["zendesk · agent a3"]
    yes = spread(r, r.agents, SURVEY_YES)
    assert [o.scope.label for o in yes.far] == ["zendesk · Ana"]  # 50 % against 75 %


def test_bottlenecks_name_what_got_worse_most_one_line_per_group() -> None:
    r = report(
        {
            ScopeKey(CURRENT, Level.ALL): counts(tickets=60),
            ScopeKey(PREVIOUS, Level.ALL): counts(tickets=60),
            group(PREVIOUS, "billing"): counts(tickets=30, next_waits=33, next_breached=12),
            group(CURRENT, "billing"): counts(tickets=30, next_waits=35, next_breached=25),
            group(PREVIOUS, "tech"): counts(tickets=30, p90_h=10, next_waits=20, next_breached=2),
            group(CURRENT, "tech"): counts(tickets=30, p90_h=20, next_waits=20, next_breached=3),
            group(CURRENT, "new"): counts(tickets=30, p90_h=50),  # no window before
        },
        group_names={("zendesk", "billing"): "Billing"},
    )
    lines = [b.line for b in bottlenecks(r)]
    assert lines[0] == (
        "zendesk · Billing: next-reply breaches doubled week on week (12 → 25; 36 % → 71 %)"
    )
    # p50 and p90 alike here: the median speaks for more tickets
    assert lines[1] == "zendesk · tech: first-reply median rose from 10 h to 20 h week on week"
    assert lines[2] == "zendesk · new: first reply p90 2 days 2 h, 2.1× the 24 h target"
    assert len(lines) == 3


def test_nothing_worse_and_nobody_past_the_target_means_no_bottleneck() -> None:
    same = counts(tickets=30, p90_h=5, next_waits=10, next_breached=1)
    r = report(
        {
            ScopeKey(CURRENT, Level.ALL): same,
            ScopeKey(PREVIOUS, Level.ALL): same,
            group(PREVIOUS, "billing"): same,
            group(CURRENT, "billing"): same,
        }
    )
    assert bottlenecks(r) == ()
    assert NEXT_REPLY_BREACHED.is_better(0.1, 0.1) is None


def test_outcomes_add_up_on_both_sides_of_each_split() -> None:
    def happened(breached: bool, escalated: bool) -> Happened:
        return Happened(breached, escalated, passed_around=False, solved_in_two=not escalated)

    r = report(
        {ScopeKey(CURRENT, Level.ALL): counts()},
        outcomes={
            happened(True, True): OutcomeCounts(4, 2, 0, 3),
            happened(True, False): OutcomeCounts(6, 3, 2, 1),
            happened(False, False): OutcomeCounts(10, 8, 7, 1),
        },
    )
    splits = {s.split: s for s in outcome_splits(r)}
    assert splits["breached"].yes == OutcomeCounts(10, 5, 2, 4)
    assert splits["breached"].no == OutcomeCounts(10, 8, 7, 1)
    assert splits["escalated"].yes == OutcomeCounts(4, 2, 0, 3)
    assert splits["passed_around"].no == OutcomeCounts(20, 13, 9, 5)
    assert splits["solved_in_two"].yes == OutcomeCounts(16, 11, 9, 2)
