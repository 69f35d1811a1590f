"""The CARE report over a large store: what `care-report` does, minus the helpdesk calls.

    .venv/bin/python bench/report.py                  # SQLite: /tmp/care-bench-report-1000000.db
    .venv/bin/python bench/report.py --days 30
    .venv/bin/python bench/report.py --url postgresql+psycopg://postgres@127.0.0.1:5432/care_bench

The store is seeded on first use by bench/report_history.py (1,000,000 tickets over
the 90 days before the seeding, in a process of its own, so this one's peak RSS is the
report's), and reused as it is after that: run it again for another measurement. The
report ends where the seeded history ends (its "now").

Timed, as flows/report.py runs them after `Store.open`: `Store.report_scopes`,
`Store.report_outcomes`, `Store.outreach_activity`, `report_from_scopes`, the HTML page
(`write_html`, into a temporary folder) and the Markdown artifact (`render_markdown`);
one warm-up run, then --runs runs, the median of each step and of the totals printed.
Printed as well: the rows in the store, the scopes read, the peak RSS of this process
(ru_maxrss, over everything it did), and on a local PostgreSQL the peak RSS of the
server's backend that ran the statements (VmHWM: shared buffers it touched included).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parents[1]))

import report_history  # bench/report_history.py, beside this script
from sqlalchemy import make_url, text

from care.domain.metrics import Thresholds
from care.domain.periods import ReportPeriods
from care.domain.policy import BusinessHours
from care.domain.report import report_from_scopes
from care.report.html import write_html
from care.report.markdown import render_markdown
from care.store import Store

STEPS = ("report_scopes", "report_outcomes", "outreach_activity", "report_from_scopes",
         "write_html", "render_markdown")  # fmt: skip
LINK_DAYS = 3  # rules.proactive_outreach.link_days, the default


CALENDAR: BusinessHours | None = None  # --business-hours: Mon–Fri 09:00–17:00 Berlin


def thresholds() -> Thresholds:
    """The default policy, with the response targets by priority the history was made
    against (report_history.TARGETS) and the default 24 hours for the rest; with
    `--business-hours`, waits judged in a Mon–Fri 09:00–17:00 Berlin calendar."""
    targets = tuple(sorted(report_history.TARGETS.items()))
    return Thresholds(targets_by_priority=targets, calendar=CALENDAR)


def one_run(store: Store, periods: ReportPeriods, folder: Path) -> tuple[dict[str, float], Any]:
    limits = thresholds()
    seconds: dict[str, float] = {}

    def timed(step: str, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        seconds[step] = time.perf_counter() - started
        return result

    scopes = timed("report_scopes", lambda: store.report_scopes(periods, limits))
    outcomes = timed("report_outcomes", lambda: store.report_outcomes(periods, limits))
    outreach = timed(
        "outreach_activity", lambda: store.outreach_activity(periods.start, periods.end, LINK_DAYS)
    )
    report = timed(
        "report_from_scopes",
        lambda: report_from_scopes(
            scopes,
            periods.start,
            periods.end,
            limits,
            trend=periods.trend,
            outreach=outreach,
            outcomes=outcomes,
        ),
    )
    page = timed("write_html", lambda: write_html(report, folder))
    timed("render_markdown", lambda: render_markdown(report, page=page))
    return seconds, (scopes, outcomes, report)


def row_counts(store: Store) -> dict[str, int]:
    with store._engine.connect() as conn:  # a bench counting rows
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table, _ in report_history.TABLES
        }


def backend_peak_mb(store: Store) -> float | None:
    """The PostgreSQL backend's peak RSS, when the server runs on this machine."""
    if store._engine.dialect.name != "postgresql":
        return None
    with store._engine.connect() as conn:  # the pool hands the store this same connection
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="SQLAlchemy URL (default: a SQLite file in /tmp)")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=7, help="the report's window")
    parser.add_argument("--weeks", type=int, default=12, help="the trend's weeks")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up")
    parser.add_argument(
        "--business-hours", action="store_true", help="judge waits in a business-hours calendar"
    )
    args = parser.parse_args()
    if args.business_hours:
        global CALENDAR
        CALENDAR = BusinessHours(timezone="Europe/Berlin")
    url = args.url or f"sqlite:////tmp/care-bench-report-{args.tickets}.db"
    shown = make_url(url).render_as_string(hide_password=True)

    if report_history.seeded(url) is None:
        print(f"seeding {shown} (once) …", flush=True)
        script = str(Path(__file__).with_name("report_history.py"))
        command = [sys.executable, script, "--url", url, "--tickets", str(args.tickets)]
        subprocess.run([*command, "--seed", str(args.seed)], check=True)
    seeded = report_history.seeded(url)
    assert seeded is not None
    if (seeded.tickets, seeded.seed) != (args.tickets, args.seed):
        raise SystemExit(f"{shown} holds {seeded.tickets:,} tickets of seed {seeded.seed}")

    started = time.perf_counter()
    store = Store.open(url)
    opened_s = time.perf_counter() - started
    periods = ReportPeriods(seeded.end, args.days, args.weeks)
    print(f"store        {shown} ({store._engine.dialect.name}), opened in {opened_s:.2f} s")
    print(f"rows         {', '.join(f'{n:,} {t}' for t, n in row_counts(store).items())}")
    print(
        f"report       {args.days} days to {seeded.end:%Y-%m-%d %H:%M} UTC, {args.weeks} weeks' "
        f"trend: reads from {periods.earliest:%Y-%m-%d}"
    )
    before_mb = peak_mb()
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="care-bench-report-") as folder:
        for run in range(args.runs + 1):
            seconds, (scopes, outcomes, report) = one_run(store, periods, Path(folder))
            total = sum(seconds.values())
            label = "warm-up" if run == 0 else f"run {run}"
            steps = "  ".join(f"{s} {seconds[s]:.2f}" for s in STEPS)
            print(f"{label:8s} {total:7.2f} s   {steps}", flush=True)
            if run:
                runs.append(seconds)
    server_mb = backend_peak_mb(store)
    store.close()

    m = report.overall.metrics
    solved = sum(c.solved for c in outcomes.values())
    came_back = sum(c.came_back for c in outcomes.values())
    print(
        f"read         {len(scopes):,} scopes; the window: {m.tickets:,} tickets, "
        f"{m.surveys_sent:,} surveys sent, {solved:,} solved ({came_back:,} came back)"
    )
    print(f"median of {len(runs)} runs:")
    for step in STEPS:
        print(f"  {step:20s} {statistics.median(r[step] for r in runs):8.3f} s")
    totals = [sum(r.values()) for r in runs]
    print(f"  {'total':20s} {statistics.median(totals):8.3f} s  (runs: "
          f"{', '.join(f'{t:.2f}' for t in totals)})")  # fmt: skip
    print(f"peak RSS     {peak_mb():.0f} MB (this process; {before_mb:.0f} MB before the report)")
    if server_mb is not None:
        print(f"backend RSS  {server_mb:.0f} MB (PostgreSQL backend peak, VmHWM)")


if __name__ == "__main__":
    main()
