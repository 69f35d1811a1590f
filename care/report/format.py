"""How the report's figures read, the same in the artifact, the HTML page and the terminal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from care.domain.metrics import Metrics, Rate, Thresholds
from care.domain.report import Report
from care.domain.wording import duration, plural

NONE = "—"  # a figure with nothing to count over
UNDER_A_MINUTE = "< 1 min"  # a time in seconds under a minute, rather than "0 min"


def percent(rate: Rate) -> str:
    """ "25 %", or "—" when there is nothing to count over."""
    return share(rate.value)


def share(value: float | None) -> str:
    """A share 0..1 as "25 %"; None: "—"."""
    return NONE if value is None else f"{value:.0%}".replace("%", " %")


def rate(rate: Rate) -> str:
    """ "25 % (3/12)": the share and what it counts."""
    return NONE if rate.value is None else f"{percent(rate)} ({rate.count:,}/{rate.total:,})"


def moment(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"


def window(report: Report) -> str:
    span = plural(report.days, "day", spec="g")
    return f"{moment(report.start)} → {moment(report.end)} ({span})"


NO_TICKETS = "No tickets in this window"


def no_tickets_detail(report: Report) -> str:
    """What follows `NO_TICKETS` in an empty report."""
    m = report.overall.metrics
    return (
        f"none was created between {moment(report.start)} and {moment(report.end)}. "
        f"Waits started in the window: {m.breached.total:,} ({m.breached.count:,} breached); "
        f"surveys sent: {m.surveys_sent:,}."
    )


def totals(report: Report) -> str:
    m = report.overall.metrics
    return (
        f"{m.tickets:,} tickets created, {m.answered:,} answered; {m.breached.total:,} waits for "
        f"an agent started, {m.breached.count:,} breached; {m.surveys_sent:,} surveys sent."
    )


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    cell: Callable[[Metrics], str]


def columns(t: Thresholds) -> tuple[Column, ...]:
    """The table columns, for every scope (overall, helpdesk, group)."""
    return (
        Column("tickets", lambda m: f"{m.tickets:,}"),
        Column("answered", lambda m: f"{m.answered:,}"),
        Column(
            "first response median",
            lambda m: duration(m.first_response_median, none=NONE, under_a_minute=UNDER_A_MINUTE),
        ),
        Column(
            "first response p90",
            lambda m: duration(m.first_response_p90, none=NONE, under_a_minute=UNDER_A_MINUTE),
        ),
        Column("first-reply waits", lambda m: f"{m.first_reply_breached.total:,}"),
        Column("first-reply breached", lambda m: rate(m.first_reply_breached)),
        Column("next-reply waits", lambda m: f"{m.next_reply_breached.total:,}"),
        Column("next-reply breached", lambda m: rate(m.next_reply_breached)),
        Column("SLA breached", lambda m: rate(m.breached)),
        Column("escalated", lambda m: rate(m.escalated)),
        Column(f"solved within {t.interactions} interactions", lambda m: rate(m.solved_within)),
        Column("reopened", lambda m: rate(m.reopened)),
        Column("passed around", lambda m: rate(m.passed_around)),
        Column("surveys answered", lambda m: rate(m.survey_response)),
        Column('answered "solved"', lambda m: rate(m.survey_solved)),
    )


@dataclass(frozen=True, slots=True)
class Bottlenecks:
    waits: list[str]  # one line per group, longest first-response p90 first
    never_answered: str | None  # the groups whose tickets nobody answered yet
    hops: list[str]  # one line per group, most passed around first


def bottlenecks(report: Report) -> Bottlenecks:
    waits = [
        f"{g.label}: "
        f"p90 {duration(g.metrics.first_response_p90, none=NONE, under_a_minute=UNDER_A_MINUTE)} "
        "(median "
        f"{duration(g.metrics.first_response_median, none=NONE, under_a_minute=UNDER_A_MINUTE)}, "
        f"{g.metrics.answered:,} of {g.metrics.tickets:,} tickets answered)"
        for g in report.longest_waits
    ]
    never = ", ".join(f"{g.label} ({g.metrics.tickets:,})" for g in report.never_answered)
    hops = [
        f"{g.label}: {rate(g.metrics.passed_around)} passed around, "
        f"{g.metrics.hops_per_ticket or 0.0:.1f} hops a ticket"
        for g in report.most_passed_around
    ]
    return Bottlenecks(waits, f"No ticket answered yet in {never}." if never else None, hops)


def outreach_lines(report: Report) -> list[str]:
    """The proactive-outreach figures of the window, one sentence each; none without any."""
    o = report.outreach
    if not o.any:
        return []
    per = f" ({o.errors_per_customer:.1f} a customer)" if o.errors_per_customer else ""
    days = f"{o.link_days:g} day" + ("" if o.link_days == 1 else "s")
    return [
        f"Product errors met: {plural(o.errors, 'error event')} naming "
        f"{plural(o.customers, 'customer')}{per}",
        f"Reached out first: {plural(o.contacted, 'ticket')} opened for customers",
        f"Wrote in anyway within {days}: {o.wrote_in_anyway} of {o.contacted}"
        + (f" ({percent(o.wrote_in_share)})" if o.contacted else ""),
    ]
