"""A randomised fault soak: the product run the way an operator runs it (`care run poll`,
`care run surveys`, `care run outreach` as processes), against a sandbox that fails the
way helpdesks fail, with processes killed at random moments. Every run prints its seed;
`--seed S --runs 1` replays it exactly (the faults and kills; the timing of a kill is the
one thing a replay cannot fix).

After each run, a clean poll and survey dispatch, then the checks:
  lost        an action the store says is applied that is not on the ticket, or one given
              up for good (state failed)
  duplicated  a CARE note on a ticket twice, or two survey e-mails for one ticket
  dropped     an agent's tag missing from a ticket at the end
  tracebacks  a command that was not killed and printed a Python traceback
  unfinished  the clean poll, survey or outreach run at the end still failed
and the proactive outreach's own (bench/soak_outreach.py): one ticket per decided contact.

    python bench/soak.py --runs 200                     # SQLite stores
    python bench/soak.py --runs 50 --postgres URL       # PostgreSQL, two pollers at once too

Exit status 1 if anything was lost, duplicated or dropped, or a traceback was printed.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench import soak_outreach  # noqa: E402
from care.app.local_server import local_prefect_server  # noqa: E402
from care.domain.actions import action_ref  # noqa: E402
from care.domain.notes import refs_in  # noqa: E402
from care.outbound.survey_message import SURVEY_HEADER  # noqa: E402
from care.store import Store  # noqa: E402
from sandboxes.freshdesk import FreshdeskSandbox  # noqa: E402
from sandboxes.http import LOST_ANSWERS  # noqa: E402
from sandboxes.zendesk import ZendeskSandbox  # noqa: E402
from tests.ports import free_port  # noqa: E402

REF = re.compile(r"ref ([0-9a-f]{10,})")
WRITE_PATHS = {
    "zendesk": ["/api/v2/tickets/update_many", "/api/v2/tickets/"],
    "freshdesk": ["/api/v2/tickets/"],
}
# Faults every sandbox knows; each fires once, on the next (matching) request.
BASE_FAULTS = ["429", "500", "503", "conn_reset"]
# Faults that apply a write and then lose its answer: reset, cut body, 502, broken JSON.
LOST_ANSWER_FAULTS = list(LOST_ANSWERS)
OPERATIONS = [
    *("poll", "poll", "poll-killed", "agents", "surveys", "surveys-killed"),
    *("outreach", "outreach-killed"),
]
CONCURRENT = ["two-pollers", "two-outreach"]  # PostgreSQL only


@dataclass
class Outcome:
    seed: int
    vendor: str
    operations: list[str] = field(default_factory=list)
    faults: int = 0
    kills: int = 0
    lost: int = 0
    duplicated: int = 0
    dropped: int = 0
    tracebacks: int = 0
    unfinished: int = 0  # the clean polls at the end still failed
    actions: int = 0
    notes: int = 0
    mails: int = 0
    events: int = 0  # product error events stored
    contacts: int = 0  # proactive contacts decided
    outreach_tickets: int = 0
    cut_outreach: int = 0  # outreach runs killed with events or contacts in hand
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.lost or self.duplicated or self.dropped or self.tracebacks or self.unfinished
        )

    def line(self) -> str:
        return (
            f"seed {self.seed:>10} {self.vendor:<9} {' '.join(self.operations):<60} "
            f"faults {self.faults:>2} kills {self.kills} actions {self.actions:>3} "
            f"notes {self.notes:>3} mails {self.mails:>2} outreach {self.contacts:>2}/"
            f"{self.events:<2} | lost {self.lost} dup "
            f"{self.duplicated} dropped {self.dropped} tracebacks {self.tracebacks}"
            + (f" UNFINISHED {self.unfinished}" if self.unfinished else "")
        )


class Soak:
    def __init__(self, workdir: Path, api_url: str, postgres: str | None) -> None:
        self.workdir, self.api_url, self.postgres = workdir, api_url, postgres
        self.lost_answer_faults: list[str] | None = None

    def run(self, seed: int) -> Outcome:
        rng = random.Random(seed)
        vendor = rng.choice(["zendesk", "freshdesk"])
        outcome = Outcome(seed, vendor)
        folder = Path(tempfile.mkdtemp(prefix=f"soak-{seed}-", dir=self.workdir))
        anchor = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
        sandbox_type = ZendeskSandbox if vendor == "zendesk" else FreshdeskSandbox
        with (
            sandbox_type(
                tickets=rng.randint(20, 60), seed=rng.randint(1, 10**6), now=anchor, job_delay_ms=5
            ) as sandbox,
            self._store(folder) as store_url,
        ):
            env = self._env(folder, vendor, sandbox, store_url)
            soak_outreach.write_config(folder / "care.toml", rng)
            agent_tags: dict[int, set[str]] = {}
            ticket_ids = self._ticket_ids(sandbox)
            for _ in range(rng.randint(3, 6)):
                operation = rng.choice(OPERATIONS + (CONCURRENT if self.postgres else []))
                outcome.operations.append(operation)
                if operation == "agents":
                    self._agents_at_work(rng, sandbox, vendor, ticket_ids, agent_tags)
                    continue
                command = ["run", "poll", "--helpdesk", vendor]
                paths = WRITE_PATHS[vendor]
                if operation.startswith("surveys"):
                    command = ["run", "surveys"]
                elif "outreach" in operation:
                    command, paths = ["run", "outreach"], soak_outreach.CREATE_PATHS[vendor]
                    outcome.events += soak_outreach.errors_happen(rng, store_url, seed)
                outcome.faults += self._inject(rng, sandbox, vendor, paths)
                if operation.startswith("two-"):
                    self._at_once(env, [command, command], outcome)
                elif operation == "outreach-killed" and rng.random() < 0.6:
                    self._killed_creating(env, command, rng, sandbox, vendor, outcome)
                    outcome.cut_outreach += soak_outreach.in_hand(store_url)
                elif operation.endswith("-killed"):
                    self._killed(env, command, rng.uniform(0.5, 6), outcome)
                    if operation == "outreach-killed":
                        outcome.cut_outreach += soak_outreach.in_hand(store_url)
                else:
                    self._care(env, command, outcome)
            # The end: outreach runs until every contact has its ticket, then polls until
            # nothing is left to apply (a fault still queued fires once), with our own
            # writes visible and refused writes due again.
            for _ in range(3):
                self._retry_now(store_url)
                done = self._care(env, ["run", "outreach"], outcome)
                if done.returncode == 0 and not self._unsettled(store_url, outreach=True):
                    break
            else:
                outcome.unfinished += 1
                outcome.problems.append(f"the last outreach kept failing: {done.stderr[-300:]}")
            for _ in range(3):
                sandbox.advance(61)
                self._retry_now(store_url)
                done = self._care(env, ["run", "poll", "--helpdesk", vendor], outcome)
                if done.returncode == 0 and not self._unsettled(store_url):
                    break
            else:
                outcome.unfinished += 1
                outcome.problems.append(f"the last poll kept failing: {done.stderr[-300:]}")
            for _ in range(2):
                done = self._care(env, ["run", "surveys"], outcome)
            if done.returncode:
                outcome.unfinished += 1
                outcome.problems.append(f"the last survey run failed: {done.stderr[-300:]}")
            self._check(outcome, sandbox, vendor, store_url, folder, agent_tags)
        return outcome

    # -- the operations -----------------------------------------------------------------
    def _care(
        self, env: dict[str, str], args: list[str], outcome: Outcome
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "care", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self._look_at(done.stdout + done.stderr, args, outcome)
        return done

    def _killed(self, env: dict[str, str], args: list[str], after: float, o: Outcome) -> None:
        process = _start(env, args, stdout=subprocess.DEVNULL, start_new_session=True)
        time.sleep(after)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            o.kills += 1
        process.wait()

    def _killed_creating(self, env, args: list[str], rng, sandbox, vendor, o: Outcome) -> None:
        """Killed within moments of its first ticket creation: the window between the
        helpdesk opening a ticket and the store recording it. The sandbox answers in
        40 ms meanwhile, as a real helpdesk does in tens of milliseconds."""
        before = soak_outreach.creations(sandbox, vendor)
        sandbox.latency_ms = 40
        process = _start(env, args, stdout=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            if soak_outreach.creations(sandbox, vendor) > before:
                time.sleep(rng.uniform(0, 0.15))
                break
            time.sleep(0.005)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            o.kills += 1
        process.wait()
        sandbox.latency_ms = 0

    def _at_once(self, env: dict[str, str], commands: list[list[str]], o: Outcome) -> None:
        processes = [_start(env, args, stdout=subprocess.PIPE, text=True) for args in commands]
        for args, process in zip(commands, processes, strict=True):
            output, _ = process.communicate(timeout=600)
            self._look_at(output, args, o)

    def _look_at(self, output: str, args: list[str], outcome: Outcome) -> None:
        if "Traceback" in output:
            outcome.tracebacks += 1
            outcome.problems.append(f"traceback from `care {' '.join(args)}`: {output[-400:]}")

    def _agents_at_work(self, rng, sandbox, vendor: str, ids: list[int], tags) -> None:
        """Agents tag, answer, move and solve tickets in the helpdesk meanwhile."""
        for ticket_id in rng.sample(ids, k=min(len(ids), rng.randint(1, 6))):
            current = sandbox.ticket(ticket_id)
            tag = f"agent_{rng.randint(1, 999)}"
            tags.setdefault(ticket_id, set()).add(tag)
            change: dict = {"tags": [*current.get("tags", []), tag]}
            what = rng.choice(["tag", "reply", "requester", "move", "solve"])
            if what == "reply":
                change["agent_reply"] = "Thanks, looking into it."
            elif what == "requester":
                change["requester_message"] = "Any news?"
            elif what == "solve":
                change["status"] = "solved" if vendor == "zendesk" else 4
            sandbox.touch(ticket_id, **change)
            if what == "move":
                sandbox.move(ticket_id, group=True)
        sandbox.advance(61)  # the changes leave the export's last minute

    def _inject(self, rng, sandbox, vendor: str, paths: list[str]) -> int:
        if self.lost_answer_faults is None:
            self.lost_answer_faults = [f for f in LOST_ANSWER_FAULTS if _knows(sandbox, f)]
        kinds = BASE_FAULTS + self.lost_answer_faults
        count = rng.randint(0, 4)
        for _ in range(count):
            kind = rng.choice(kinds)
            aimed = rng.random() < 0.6 or kind in self.lost_answer_faults
            sandbox.inject(f"{kind}@{rng.choice(paths)}" if aimed else kind)
        if vendor == "zendesk" and rng.random() < 0.2:
            sandbox.expire_tokens()  # a 401 mid-run: the OAuth token is renewed
        return count

    # -- the checks ---------------------------------------------------------------------
    def _check(self, o: Outcome, sandbox, vendor, store_url, folder: Path, agent_tags) -> None:
        engine = create_engine(store_url)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, ticket_id, rule, variant, state, add_tags, remove_tags, note "
                    "FROM action_log WHERE helpdesk = :h ORDER BY id"
                ),
                {"h": vendor},
            ).all()
            stuck = conn.execute(
                text("SELECT helpdesk, ticket_id FROM survey_outbox WHERE state = 'claimed'")
            ).all()
        engine.dispose()
        o.actions = len(rows)
        for helpdesk, ticket_id in stuck:  # the last dispatch should have taken it over
            o.lost += 1
            o.problems.append(f"{helpdesk}:{ticket_id}: survey still claimed at the end")
        notes_by_ticket: dict[int, Counter[str]] = {}
        # The SLA's tags are state: only a ticket's latest SLA decision must show.
        latest_sla = {t: i for i, t, rule, *_ in rows if rule == "resolve.response_sla"}
        for row_id, ticket_id, rule, variant, state, add_tags, remove_tags, note in rows:
            key = f"{vendor}:{ticket_id}:{rule}:{variant}"
            if state == "failed":
                o.lost += 1
                o.problems.append(f"{key} given up (failed)")
                continue
            if state != "applied":
                o.lost += 1
                o.problems.append(f"{key} still {state} after the final poll")
                continue
            ticket = sandbox.ticket(int(ticket_id))
            shown = set(ticket.get("tags", []))
            stale = rule == "resolve.response_sla" and latest_sla[ticket_id] != row_id
            missing = set(_tags(add_tags)) - shown
            if missing and not rule.startswith("enhance.survey") and not stale:
                o.lost += 1
                o.problems.append(f"{key}: tags {sorted(missing)} not on the ticket")
            left = set(_tags(remove_tags)) & shown
            if left and not stale:
                o.lost += 1
                o.problems.append(f"{key}: tags {sorted(left)} still on the ticket")
            if note:
                refs = notes_by_ticket.setdefault(int(ticket_id), _refs(sandbox, vendor, ticket_id))
                wanted = (REF.findall(note) or [action_ref(key)])[-1]
                if refs[wanted] == 0:
                    o.lost += 1
                    o.problems.append(f"{key}: its note is not on the ticket")
        for ticket_id in {int(t) for _, t, *_ in rows}:
            refs = notes_by_ticket.setdefault(ticket_id, _refs(sandbox, vendor, ticket_id))
            o.notes += sum(refs.values())
            for ref, count in refs.items():
                if count > 1:
                    o.duplicated += count - 1
                    o.problems.append(f"{vendor}:{ticket_id}: note ref {ref} posted {count} times")
        mails = Counter(_survey_keys(folder / "outbox"))
        o.mails = sum(mails.values())
        for key, count in mails.items():
            if count > 1:
                o.duplicated += count - 1
                o.problems.append(f"{key}: {count} survey e-mails")
        for ticket_id, tags in agent_tags.items():
            dropped = tags - set(sandbox.ticket(ticket_id).get("tags", []))
            o.dropped += len(dropped)
            if dropped:
                o.problems.append(f"{vendor}:{ticket_id}: agent tags {sorted(dropped)} dropped")
        soak_outreach.check_outreach(o, sandbox, vendor, store_url)

    # -- plumbing -----------------------------------------------------------------------
    @contextmanager
    def _store(self, folder: Path) -> Iterator[str]:
        if not self.postgres:
            yield f"sqlite:///{folder / 'care.db'}"
            return
        os.environ["CARE_TEST_DATABASE_URL"] = self.postgres
        from tests.databases import postgresql_schema

        with postgresql_schema() as url:
            yield url

    def _env(self, folder: Path, vendor: str, sandbox, store_url: str) -> dict[str, str]:
        (folder / "care.toml").write_text(f'[survey]\noutbox_dir = "{folder / "outbox"}"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CARE_", "PREFECT_"))}
        env.update(
            PREFECT_API_URL=self.api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_LOGGING_LEVEL="WARNING",
            CARE_CONFIG=str(folder / "care.toml"),
            CARE_DATABASE_URL=store_url,
            CARE_SURVEY_SECRET="soak-" + "0123456789abcdef" * 4,
            CARE_SURVEY_BASE_URL="https://survey.soak.example",
        )
        if vendor == "zendesk":
            env.update(
                CARE_ZENDESK_URL=sandbox.url,
                CARE_ZENDESK_CLIENT_ID=sandbox.client_id,
                CARE_ZENDESK_CLIENT_SECRET=sandbox.client_secret,
            )
        else:
            env.update(CARE_FRESHDESK_URL=sandbox.url, CARE_FRESHDESK_API_KEY=sandbox.api_key)
        return env

    def _ticket_ids(self, sandbox) -> list[int]:
        ids = []
        for ticket_id in range(1, 2000):
            try:
                sandbox.ticket(ticket_id)
            except KeyError:
                if ids:
                    break
                continue
            ids.append(ticket_id)
        return ids

    def _unsettled(self, store_url: str, outreach: bool = False) -> int:
        engine = create_engine(store_url)
        with engine.connect() as conn:
            if outreach:
                count = soak_outreach.unsettled(conn)
            else:
                count = conn.execute(
                    text("SELECT count(*) FROM action_log WHERE state IN ('pending', 'applying')")
                ).scalar_one()
        engine.dispose()
        return count

    def _retry_now(self, store_url: str) -> None:
        """Fast-forward the store's clocks, as `advance` does the sandbox's: refused writes
        wait minutes before their next try (1, 5, 15, 60) and a killed run's claims 10
        minutes before another run may take them (actions, error events, outreach
        contacts); the soak's last runs may now.
        A run whose every command was killed before it opened the store has none yet:
        opened here, as each command would."""
        Store.open(store_url).close()
        engine = create_engine(store_url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE action_log SET retry_at = NULL, claimed_at = :long_ago "
                    "WHERE state IN ('pending', 'applying')"
                ),
                {"long_ago": datetime.now(UTC) - timedelta(days=1)},
            )
            conn.execute(  # a killed dispatcher's claims: stale after 15 minutes
                text("UPDATE survey_outbox SET claimed_at = :long_ago WHERE state = 'claimed'"),
                {"long_ago": datetime.now(UTC) - timedelta(days=1)},
            )
            soak_outreach.claims_go_stale(conn, datetime.now(UTC) - timedelta(days=1))
        engine.dispose()


def _start(env: dict[str, str], args: list[str], **popen) -> subprocess.Popen:
    """`care <args>` as its own process, its stderr with its stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "care", *args],
        env=env,
        cwd=ROOT,
        stderr=subprocess.STDOUT,
        **popen,
    )


def _knows(sandbox, fault: str) -> bool:
    try:
        sandbox.inject(f"{fault}@/nowhere")
    except ValueError:
        return False
    return True


def _tags(value) -> list[str]:
    if isinstance(value, str):
        return json.loads(value)
    return list(value or [])


def _refs(sandbox, vendor: str, ticket_id) -> Counter[str]:
    if vendor == "zendesk":
        bodies = [c["body"] for c in sandbox.comments(int(ticket_id))]
    else:
        bodies = [n.get("body_text") or n.get("body") or "" for n in sandbox.notes(int(ticket_id))]
    # Every section's ref: a combined note carries one per rule (care.domain.notes.combine).
    return Counter(ref for body in bodies if "CARE" in body for ref in refs_in(body))


def _survey_keys(outbox: Path) -> list[str]:
    keys = []
    for path in outbox.glob("*.eml") if outbox.is_dir() else ():
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        keys.append(str(message[SURVEY_HEADER]))
    return keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, help="the first run's seed (default: random)")
    parser.add_argument("--postgres", help="a PostgreSQL URL: stores there, two pollers too")
    args = parser.parse_args()
    first = args.seed if args.seed is not None else random.SystemRandom().randint(1, 10**9)
    totals = Counter()
    failed_seeds = []
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="care-soak-")))
        os.environ["PREFECT_HOME"] = str(workdir / "prefect")
        os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        api = stack.enter_context(local_prefect_server(free_port(), workdir / "prefect-server.log"))
        soak = Soak(workdir, api, args.postgres)
        started = time.monotonic()
        for n in range(args.runs):
            outcome = soak.run(first + n)
            print(outcome.line(), flush=True)
            for problem in outcome.problems[:5]:
                print(f"    {problem}", flush=True)
            totals.update(
                runs=1,
                faults=outcome.faults,
                kills=outcome.kills,
                actions=outcome.actions,
                notes=outcome.notes,
                mails=outcome.mails,
                lost=outcome.lost,
                duplicated=outcome.duplicated,
                dropped=outcome.dropped,
                tracebacks=outcome.tracebacks,
                unfinished=outcome.unfinished,
                events=outcome.events,
                contacts=outcome.contacts,
                outreach_tickets=outcome.outreach_tickets,
                cut_outreach=outcome.cut_outreach,
            )
            if not outcome.clean:
                failed_seeds.append(outcome.seed)
    minutes = (time.monotonic() - started) / 60
    print(
        f"\n{totals['runs']} runs in {minutes:.1f} min (seeds {first}..{first + args.runs - 1}"
        f"{', PostgreSQL' if args.postgres else ', SQLite'}): {totals['faults']} faults, "
        f"{totals['kills']} kill -9 ({totals['cut_outreach']} of an outreach run with "
        "contacts or events in hand), "
        f"{totals['actions']} actions, {totals['notes']} notes, "
        f"{totals['mails']} survey e-mails, {totals['events']} error events, "
        f"{totals['contacts']} proactive contacts, {totals['outreach_tickets']} outreach "
        f"tickets | lost {totals['lost']}, duplicated "
        f"{totals['duplicated']}, agent tags dropped {totals['dropped']}, tracebacks "
        f"{totals['tracebacks']}, runs whose last polls failed {totals['unfinished']}"
    )
    if failed_seeds:
        print(f"replay: python bench/soak.py --runs 1 --seed {failed_seeds[0]}")
    return 1 if failed_seeds else 0


if __name__ == "__main__":
    sys.exit(main())
