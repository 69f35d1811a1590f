"""Backfill N tickets from the Zendesk sandbox through the real poll flow; print the figures.

    .venv/bin/python bench/poll_backfill.py --tickets 100000
    .venv/bin/python bench/poll_backfill.py --tickets 30000 --real-limits
    .venv/bin/python bench/poll_backfill.py --helpdesk freshdesk --tickets 3000 --real-limits

The sandbox runs in a separate process (as a real Zendesk would be elsewhere);
the poll flow runs here in Prefect's ephemeral mode on a fresh SQLite store
(or --database URL). Printed: wall time, tickets/s once Prefect has started,
HTTP requests per 1,000 tickets (export reads; update_many writes and job
polls), and the peak RSS of this process.

--real-limits runs the sandbox with the vendor's documented per-minute limits
(Zendesk Enterprise; Freshdesk --plan, Pro by default) and adds the physical floor:
the time those limits need for the fewest requests possible (see bench/floor.py),
and wall time / floor with and without Prefect's start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import floor  # bench/floor.py, beside this script

from sandboxes.freshdesk.limits import DEFAULT_PLAN, PLANS

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(
    tickets: int, port: int, helpdesk: str = "zendesk", plan: str | None = None
) -> subprocess.Popen:
    """The sandbox in its own process; with a `plan` ("enterprise" for Zendesk), under
    the vendor's real limits, printing its counts when stopped (see stop_sandbox)."""
    limits = "" if plan is None else ", real_limits=True"
    if plan is not None and helpdesk == "freshdesk":
        limits += f", plan={plan!r}"
    code = (
        f"from sandboxes.{helpdesk} import serve_forever; "
        f"serve_forever({port}, {tickets}, 7, 0, None{limits})"
    )
    out = subprocess.DEVNULL if plan is None else subprocess.PIPE
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=out, text=True)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the sandbox did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--helpdesk", choices=["zendesk", "freshdesk"], default="zendesk")
    parser.add_argument(
        "--polls", type=int, default=1, help="polls in a row (the later ones read what changed)"
    )
    parser.add_argument(
        "--real-limits", action="store_true", help="the vendor's documented per-minute limits"
    )
    parser.add_argument(
        "--plan", choices=sorted(PLANS), default=DEFAULT_PLAN, help="Freshdesk plan (--real-limits)"
    )
    args = parser.parse_args()
    plan = ("enterprise" if args.helpdesk == "zendesk" else args.plan) if args.real_limits else None

    from sandboxes.freshdesk import FreshdeskSandbox
    from sandboxes.zendesk import ZendeskSandbox

    port = free_port()
    sandbox = start_sandbox(args.tickets, port, args.helpdesk, plan)
    workdir = Path(tempfile.mkdtemp(prefix="care-bench-"))
    url = f"http://127.0.0.1:{port}"
    os.environ.update(
        CARE_CONFIG=str(workdir / "none.toml"),
        CARE_DATABASE_URL=args.database or f"sqlite:///{workdir / 'care.db'}",
    )
    if args.helpdesk == "zendesk":
        os.environ.update(
            CARE_ZENDESK_URL=url,
            CARE_ZENDESK_CLIENT_ID=ZendeskSandbox.client_id,
            CARE_ZENDESK_CLIENT_SECRET=ZendeskSandbox.client_secret,
        )
    else:
        os.environ.update(CARE_FRESHDESK_URL=url, CARE_FRESHDESK_API_KEY=FreshdeskSandbox.api_key)
        os.environ.pop("CARE_ZENDESK_URL", None)
    (workdir / "none.toml").write_text("")
    try:
        from care.app.cli import quiet_prefect_shutdown
        from flows.poll import poll_helpdesk

        quiet_prefect_shutdown()
        runs = []
        for poll in range(1, args.polls + 1):
            started = time.monotonic()
            summary = poll_helpdesk(helpdesk=args.helpdesk)
            if args.polls > 1:
                print(f"--- poll {poll} of {args.polls}")
            runs.append((summary, time.monotonic() - started))
            report(summary, runs[-1][1])
    finally:
        counts = stop_sandbox(sandbox)
    if plan is not None and counts is not None:
        changed = floor.Changed.from_action_log(os.environ["CARE_DATABASE_URL"], args.helpdesk)
        print(f"--- under the vendor's real limits ({args.helpdesk} {plan} plan)")
        floor.report(args.helpdesk, plan, runs, changed, counts)


def stop_sandbox(proc: subprocess.Popen) -> dict | None:
    """Stop the sandbox; in real-limits mode its last line counts what each limit let
    through and refused (JSON)."""
    if proc.stdout is None:
        proc.terminate()
        proc.wait(timeout=10)
        return None
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    lines = out.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def report(summary, wall: float) -> None:
    per_k = 1000 / max(summary.tickets, 1)
    changed = summary.applied or 1
    r = summary.requests
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"tickets                      {summary.tickets:,} in {summary.pages} pages")
    print(f"wall time (incl. Prefect)    {wall:.1f} s")
    print(f"flow time (Prefect started)  {summary.seconds:.1f} s")
    print(f"throughput                   {summary.tickets / summary.seconds:,.0f} tickets/s")
    print(f"actions applied              {summary.applied:,} ({summary.failed} failed)")
    print(f"reads per 1,000 tickets      {r['reads'] * per_k:.2f}")
    print(
        f"writes per 1,000 tickets     {r['writes'] * per_k:.2f} update calls, "
        f"{r['job_polls'] * per_k:.2f} job polls"
    )
    print(f"writes per 1,000 actions     {r['writes'] * 1000 / changed:.2f}")
    print(f"rate-limited / retries       {r['rate_limited']:.0f} / {r['retries']:.0f}")
    print(f"peak RSS (flow process)      {peak_mb:.0f} MB")
    print("requests per 1,000 tickets by endpoint:")
    for endpoint, count in sorted(summary.endpoints.items(), key=lambda kv: -kv[1]):
        print(f"  {endpoint:45s} {count * per_k:8.2f}")


if __name__ == "__main__":
    main()
