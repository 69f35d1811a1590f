"""Proactive outreach at scale: N signed error events from C customers (bursts of one
error each) through the intake endpoint and the `proactive-outreach` flow.

    .venv/bin/python bench/outreach.py                         # 10,000 events, 2,000 customers
    .venv/bin/python bench/outreach.py --real-limits           # Zendesk Enterprise: 700/min

The Zendesk sandbox runs in its own process; the web endpoint (`care survey-server`'s
app) on a thread of this one, fed by 8 client threads over keep-alive connections.
Printed: events accepted and per second, tickets opened (one per customer: the same
error within 24 h and any contact within 7 days are skipped), requests per ticket
opened, the flow's time and, under --real-limits, its ratio to the floor (one Create
Ticket per customer at the account's per-minute limit), and the peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import resource
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import floor  # bench/floor.py, beside this script
import requests
from poll_backfill import free_port, start_sandbox, stop_sandbox

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

EVENTS_SECRET = "bench-events-secret-0123456789abcdef0123"
ZENDESK_ENTERPRISE_PER_MINUTE = 700  # sandboxes/zendesk/limits.py, from Zendesk's docs


def events(count: int, customers: int) -> list[bytes]:
    """`count` generic events: each customer meets one error `count / customers` times,
    the customers' bursts interleaved."""
    now = datetime.now(UTC).isoformat()
    bodies = []
    for n in range(count):
        customer = n % customers
        bodies.append(
            json.dumps(
                {
                    "event_id": f"evt-{n}",
                    "customer_email": f"customer{customer}@bench.example",
                    "url": "https://app.acme.example/checkout/pay",
                    "error_code": f"checkout_failed_{customer % 7}",
                    "message": "Checking out fails with an error",
                    "occurred_at": now,
                }
            ).encode()
        )
    return bodies


def post_all(base_url: str, bodies: list[bytes], threads: int = 8) -> float:
    sessions = [requests.Session() for _ in range(threads)]

    def post(index: int) -> int:
        body = bodies[index]
        stamp = str(int(time.time()))
        mac = hmac.new(EVENTS_SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        answer = sessions[index % threads].post(
            f"{base_url}/events/error",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Care-Timestamp": stamp,
                "X-Care-Signature": f"sha256={mac.hexdigest()}",
            },
            timeout=30,
        )
        return answer.status_code

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(post, range(len(bodies))))
    seconds = time.monotonic() - started
    refused = [s for s in statuses if s != 202]
    if refused:
        raise SystemExit(f"{len(refused)} events refused: {sorted(set(refused))}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--database", help="SQLAlchemy URL (default: a fresh SQLite file)")
    parser.add_argument("--real-limits", action="store_true", help="Zendesk Enterprise limits")
    args = parser.parse_args()

    port = free_port()
    sandbox = start_sandbox(10, port, "zendesk", "enterprise" if args.real_limits else None)
    workdir = Path(tempfile.mkdtemp(prefix="care-bench-outreach-"))
    (workdir / "care.toml").write_text("")
    from sandboxes.zendesk import ZendeskSandbox

    os.environ.update(
        CARE_CONFIG=str(workdir / "care.toml"),
        CARE_DATABASE_URL=args.database or f"sqlite:///{workdir / 'care.db'}",
        CARE_ZENDESK_URL=f"http://127.0.0.1:{port}",
        CARE_ZENDESK_CLIENT_ID=ZendeskSandbox.client_id,
        CARE_ZENDESK_CLIENT_SECRET=ZendeskSandbox.client_secret,
        CARE_SURVEY_SECRET="bench-survey-secret-0123456789abcdef0123",
        CARE_EVENTS_SECRET=EVENTS_SECRET,
    )
    try:
        from care.app.cli import quiet_prefect_shutdown
        from care.settings.load import load_settings
        from care.web.server import create_app
        from care.web.serving import SurveyServer
        from flows.outreach import proactive_outreach

        bodies = events(args.events, args.customers)
        with SurveyServer(create_app(load_settings())) as server:
            intake_s = post_all(server.url, bodies)
        quiet_prefect_shutdown()
        started, started_at = time.monotonic(), time.time()
        result = proactive_outreach(limit=args.events)
        wall = time.monotonic() - started
    finally:
        stop_sandbox(sandbox)
    requests_made = result.requests.get("reads", 0) + result.requests.get("writes", 0)
    opened = max(result.opened, 1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"events accepted              {args.events:,} in {intake_s:.1f} s "
        f"({args.events / intake_s:,.0f} events/s, 8 clients)"
    )
    print(f"customers                    {args.customers:,}")
    print(f"tickets opened               {result.opened:,} ({len(result.failed)} failed)")
    print(f"events skipped               {dict(sorted(result.skipped.items()))}")
    print(f"wall time (incl. Prefect)    {wall:.1f} s")
    print(f"flow time (Prefect started)  {result.seconds:.1f} s")
    print(f"requests per ticket opened   {requests_made / opened:.3f}")
    print(
        f"rate-limited / retries       {result.requests.get('rate_limited', 0):.0f} / "
        f"{result.requests.get('retries', 0):.0f}"
    )
    print(f"peak RSS (this process)      {peak_mb:.0f} MB")
    for endpoint, count in sorted(result.endpoints.items(), key=lambda kv: -kv[1]):
        print(f"  {endpoint:45s} {count:8,}")
    if args.real_limits:
        # As bench/floor.py counts: clock-minute windows, as the sandbox enforces them; the
        # first create goes out about when the flow starts (Prefect's start before it).
        phase = (started_at + wall - result.seconds) % 60
        need = floor.Need("account", result.opened, ZENDESK_ENTERPRISE_PER_MINUTE, "creates")
        floor_s = max(need.seconds(phase), 1e-9)
        print(
            f"floor (Create Ticket, {ZENDESK_ENTERPRISE_PER_MINUTE}/min windows)  {floor_s:.1f} s "
            f"(first window {phase:.0f} s gone)"
        )
        print(
            f"wall / floor                 {wall / floor_s:.2f} incl. Prefect's start, "
            f"{result.seconds / floor_s:.2f} once started"
        )


if __name__ == "__main__":
    main()
