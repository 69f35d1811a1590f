"""What a reader sees: the Markdown artifact, the HTML page and the terminal summary."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from care.domain.metrics import (
    GroupActivity,
    SurveyCounts,
    TicketCounts,
    WaitCounts,
)
from care.domain.report import Report, build_report
from care.report.html import render_html, write_html
from care.report.markdown import render_markdown
from care.report.terminal import print_report

END = datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
START = END - timedelta(days=7)
H = 3600.0
ODD_GROUP = "a|b<script>"  # group ids come from the helpdesk


@pytest.fixture
def report() -> Report:
    return build_report(
        [
            GroupActivity(
                "zendesk",
                "10",
                TicketCounts(tickets=4, solved=2, solved_within=1, passed_around=1, hops=4),
                SurveyCounts(sent=2, answered=1, solved=1),
                (H, 3 * H, 5 * H),
                WaitCounts(
                    first_reply=4, first_reply_breached=1, next_reply=2, next_reply_breached=1
                ),
            ),
            GroupActivity("zendesk", ODD_GROUP, TicketCounts(tickets=2)),
        ],
        START,
        END,
    )


def cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]


def test_markdown_tables_hold_the_figures_with_their_counts(report: Report) -> None:
    text = render_markdown(report)
    assert text.startswith("# CARE report · 2026-03-01 06:30 UTC → 2026-03-08 06:30 UTC (7 days)")
    (overall,) = [line for line in text.splitlines() if line.startswith("| all helpdesks |")]
    assert cells(overall) == [
        "all helpdesks",
        "6",
        "3",
        "3 h",
        "4 h 36 min",  # p90 of 1, 3, 5 h
        "4",  # first-reply waits
        "25 % (1/4)",
        "2",  # next-reply waits
        "50 % (1/2)",
        "33 % (2/6)",  # breached waits / waits
        "0 % (0/6)",
        "50 % (1/2)",
        "0 % (0/6)",
        "17 % (1/6)",
        "50 % (1/2)",
        "100 % (1/1)",
    ]


def test_markdown_names_the_bottlenecks_and_the_groups_nobody_answered(report: Report) -> None:
    text = render_markdown(report)
    assert "1. zendesk · 10: p90 4 h 36 min (median 3 h, 3 of 4 tickets answered)" in text
    assert "1. zendesk · 10: 25 % (1/4) passed around, 1.0 hops a ticket" in text
    assert r"No ticket answered yet in zendesk · a\|b\<script\> (2)." in text


def test_a_group_id_cannot_break_a_markdown_table(report: Report) -> None:
    rows = [line for line in render_markdown(report).splitlines() if line.startswith("| zendesk")]
    assert len(rows) == 3 and all(len(cells(row)) == 16 for row in rows)  # total, 2 groups


def test_an_empty_window_is_said_plainly_without_tables() -> None:
    empty = build_report([], START, END)
    text = render_markdown(empty)
    assert "**No tickets in this window**: none was created between 2026-03-01 06:30 UTC" in text
    assert "| all helpdesks |" not in text and "## Bottlenecks" not in text
    page = render_html(empty)
    assert "<strong>No tickets in this window</strong>" in page and "<svg" not in page


def test_the_page_draws_each_chart_in_svg_with_a_table_of_its_numbers(report: Report) -> None:
    page = render_html(report)
    titles = re.findall(r'<title id="[\w-]+-title">(.*?)</title>', page)
    assert titles == [
        "First response, 90th percentile, by group",
        "Passed around, by group",
        "Rates, zendesk",
    ]
    # direction, one per chart, every figure by helpdesk, one per group (folded)
    assert page.count("<table") == 7
    assert "<caption>First response, 90th percentile, by group</caption>" in page
    assert "<td>3 of 4</td><td>3 h</td><td>4 h 36 min</td>" in page


def test_bars_are_as_long_as_their_share(report: Report) -> None:
    page = render_html(report)
    rates = page[page.index('id="rates-0-title"') :]
    bars = re.findall(r'<rect class="bar" x="0" y="\d+" width="([\d.]+)"', rates)
    # first-reply breached 1/4, next-reply 1/2, all 2/6, escalated 0, solved within 1/2,
    # reopened 0, passed around 1/4, ...
    assert [float(w) for w in bars[:7]] == [90.0, 180.0, 120.0, 0.0, 180.0, 0.0, 60.0]


def test_the_page_is_standalone_and_escapes_what_the_helpdesk_sent(report: Report) -> None:
    page = render_html(report)
    assert "<script" not in page.lower() and "http" not in page
    assert "a|b&lt;script&gt;" in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_the_page_is_written_to_a_file_named_after_the_window(
    report: Report, tmp_path: Path
) -> None:
    path = write_html(report, tmp_path / "reports")
    assert path == tmp_path / "reports" / "care-report-2026-03-08-7d.html"
    assert "4 h 36 min" in path.read_text(encoding="utf-8")


def test_the_terminal_shows_the_key_figures_and_where_the_page_is(report: Report) -> None:
    console = Console(record=True, width=120)
    print_report(console, report, Path("/srv/care/reports/page.html"))
    text = console.export_text()
    assert "4 h 36 min" in text and "33 % (2/6)" in text
    assert "zendesk · 10: p90 4 h 36 min" in text
    assert "HTML page: /srv/care/reports/page.html" in text


def test_the_markdown_links_the_html_page_by_its_path(report: Report, tmp_path: Path) -> None:
    page = tmp_path / "odd [reports]" / "care-report-2026-03-08-7d.html"
    text = render_markdown(report, page=page)
    link = next(line for line in text.splitlines() if line.startswith("**HTML page**"))
    assert f"({page.as_uri()})" in link and "%20%5Breports%5D" in link  # a working file:// URL
    assert r"odd \[reports\]" in link  # the path as a reader would paste it
    assert "**HTML page**" not in render_markdown(report)  # no page, no link


def test_markdown_columns_are_named_in_words(report: Report) -> None:
    header = next(line for line in render_markdown(report).splitlines() if "| Helpdesk |" in line)
    assert cells(header)[:4] == ["Helpdesk", "Tickets", "Answered", "First response median"]
    assert cells(header)[-1] == 'Answered "solved"'


def test_waits_are_shown_first_and_next_replies_apart_with_how_they_are_counted(
    report: Report,
) -> None:
    text = render_markdown(report)
    header = next(line for line in text.splitlines() if "| Helpdesk |" in line)
    assert cells(header)[5:10] == [
        "First-reply waits",
        "First-reply breached",
        "Next-reply waits",
        "Next-reply breached",
        "SLA breached",
    ]
    assert "6 waits for an agent started, 2 breached" in text
    assert "- **SLA breached**: breached waits / waits, first and next replies together" in text
    console = Console(record=True, width=160)
    print_report(console, report, Path("/tmp/page.html"))
    lines = console.export_text().splitlines()
    assert any("next-reply breached" in line and "50 % (1/2)" in line for line in lines)
    assert any("first-reply waits" in line and "4" in line for line in lines)
    page = render_html(report)
    assert '<th scope="row">next-reply waits</th>' in page  # every figure by helpdesk
    assert '<th scope="row">next-reply breached</th><td>50 %</td>' in page  # rates chart


def test_an_empty_window_still_counts_the_waits_that_started_in_it() -> None:
    waits_only = build_report(
        [GroupActivity("zendesk", "7", waits=WaitCounts(next_reply=3, next_reply_breached=1))],
        START,
        END,
    )
    text = render_markdown(waits_only)
    assert "Waits started in the window: 3 (1 breached)" in text
    (row,) = [line for line in text.splitlines() if line.startswith("| zendesk · 7 |")]
    assert cells(row)[7:10] == ["3", "33 % (1/3)", "33 % (1/3)"]


def test_direction_and_outcomes_read_the_same_in_the_artifact_and_the_page() -> None:
    from care.domain.metrics import Quantiles, ScopeCounts
    from care.domain.periods import CURRENT, PREVIOUS
    from care.domain.report import report_from_scopes
    from care.domain.scopes import Happened, Level, OutcomeCounts, ScopeKey

    def counts(p90_h: float, breached: int) -> ScopeCounts:
        return ScopeCounts(
            tickets=TicketCounts(tickets=40),
            waits=WaitCounts(next_reply=20, next_reply_breached=breached),
            first_response=Quantiles(40, p90_h * H / 2, p90_h * H),
        )

    report = report_from_scopes(
        {
            ScopeKey(CURRENT, Level.ALL): counts(20, 10),
            ScopeKey(CURRENT, Level.HELPDESK, "zendesk"): counts(20, 10),
            ScopeKey(PREVIOUS, Level.ALL): counts(10, 2),
        },
        START,
        END,
        outcomes={
            Happened(True, False, False, True): OutcomeCounts(4, 2, 1, 1),
            Happened(False, False, False, True): OutcomeCounts(16, 8, 7, 2),
        },
    )
    text = render_markdown(report)
    assert "| First reply, p90 | 10 h | 20 h | ▼ worse |" in text
    assert "| Next replies breached | 10 % | 50 % | ▼ worse |" in text
    assert "| SLA breached | 4 | 50 % (1/2) | 25 % (1/4) |" in text  # 4 tickets, 1 of 2 yes
    assert "| not breached | 16 | 88 % (7/8) | 12 % (2/16) |" in text
    page = render_html(report)
    assert '<td class="verdict worse">▼ worse</td>' in page
    assert '<th scope="row">SLA breached</th><td>4</td><td>50 % (1/2)</td>' in page
