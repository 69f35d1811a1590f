"""The physical floor of a backfill under the vendor's per-minute limits.

The fewest requests the run could have made: one export (list) page per page size of
tickets read, tickets our own writes bring round again included; on Zendesk one
update_many call per 100 distinct tickets changed (a batch carries each ticket's own
tags, fields and note); on Freshdesk one `PUT` per ticket given tags (they replace the
list; the list page's tags serve as the merge base), one note per ticket given a note,
and one bulk update per 100 tickets changed only in priority/group.

Each limit counts them in clock-minute windows as the sandbox does: n requests under
L a minute need ceil(n / L) windows, so the last goes out (ceil(n / L) - 1) minutes
after its first window began, less the seconds of that window gone before the run's
first request. The floor is the largest of these times, every limit at once. Job
status polls, token requests and Freshdesk's contact look-ups are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sqlalchemy as sa

from care.store.schema import ActionLogEntry, ActionState
from connectors.freshdesk import endpoints as freshdesk_ep
from connectors.zendesk import endpoints as zendesk_ep
from sandboxes.freshdesk.limits import PLANS
from sandboxes.zendesk.limits import ENTERPRISE_LIMIT, EXPORT_LIMIT, TICKETS_UPDATE_LIMIT

MINUTE_S = 60.0


@dataclass(frozen=True)
class Need:
    limit_name: str
    count: int  # the fewest requests (credits, for Freshdesk's account limit)
    per_minute: int
    why: str

    def seconds(self, phase: float) -> float:
        """Time from the run's first request to its last under this limit alone;
        `phase`: seconds of the first window gone before the first request."""
        windows = math.ceil(self.count / self.per_minute)
        return max(0.0, (windows - 1) * MINUTE_S - phase)


@dataclass(frozen=True)
class Changed:
    """Distinct tickets the run changed (applied actions in the store's action log):
    in all, given tags, given a note, and changed only in priority/group/status."""

    tickets: int
    tagged: int
    noted: int
    fields_only: int

    @classmethod
    def from_action_log(cls, database_url: str, helpdesk: str) -> Changed:
        """Only actions that write to the ticket count: a survey schedule changes nothing."""
        engine = sa.create_engine(database_url)
        a = ActionLogEntry
        query = sa.select(
            a.ticket_id, a.add_tags, a.remove_tags, a.set_priority, a.set_group, a.note
        )
        query = query.where(a.helpdesk == helpdesk, a.state == ActionState.APPLIED)
        every, tagged, noted = set(), set(), set()
        with engine.connect() as connection:
            for ticket_id, add, remove, priority, group, note in connection.execute(query):
                if not (add or remove or priority or group or note):
                    continue
                every.add(ticket_id)
                if add or remove:
                    tagged.add(ticket_id)
                if note:
                    noted.add(ticket_id)
        engine.dispose()
        return cls(len(every), len(tagged), len(noted), len(every - tagged - noted))


def needs(helpdesk: str, plan: str, tickets_read: int, changed: Changed) -> list[Need]:
    if helpdesk == "zendesk":
        per_page, per_call = zendesk_ep.EXPORT_PAGE_SIZE, zendesk_ep.UPDATE_MANY_MAX_IDS
        pages = math.ceil(tickets_read / per_page)
        updates = math.ceil(changed.tickets / per_call)
        return [
            Need("incremental export", pages, EXPORT_LIMIT, f"{tickets_read:,} read / {per_page}"),
            Need(
                "ticket updates",
                updates,
                TICKETS_UPDATE_LIMIT,
                f"{changed.tickets:,} changed / {per_call} a call",
            ),
            Need("all requests", pages + updates, ENTERPRISE_LIMIT, "export + updates"),
        ]
    limits = PLANS[plan]
    pages = math.ceil(tickets_read / freshdesk_ep.PAGE_SIZE)
    bulk = math.ceil(changed.fields_only / freshdesk_ep.PAGE_SIZE)
    credits = pages * freshdesk_ep.LIST_CREDITS + changed.tagged + changed.noted + bulk
    found = [
        Need(
            "account credits",
            credits,
            limits.credits,
            f"{pages} pages x {freshdesk_ep.LIST_CREDITS} + {changed.tagged:,} PUTs"
            f" + {changed.noted:,} notes + {bulk} bulk updates",
        )
    ]
    if "tickets_list" in limits.calls:
        found.append(
            Need(
                "tickets list",
                pages,
                limits.calls["tickets_list"],
                f"{tickets_read:,} read / {freshdesk_ep.PAGE_SIZE}",
            )
        )
    if "ticket_update" in limits.calls:
        found.append(
            Need(
                "ticket updates",
                changed.tagged,
                limits.calls["ticket_update"],
                "1 PUT per ticket given tags",
            )
        )
    return found


def report(helpdesk: str, plan: str, runs: list, changed: Changed, counts: dict) -> None:
    """Print the sandbox's counts, the fewest requests, the floor and wall / floor for
    `runs` ((PollSummary, wall seconds) of each poll) together."""
    tickets_read = sum(summary.ticket_reads for summary, _ in runs)
    wall = sum(seconds for _, seconds in runs)
    flow = sum(summary.seconds for summary, _ in runs)
    first, last = counts.get("first_at"), counts.get("last_at")
    phase = first % MINUTE_S if first is not None else 0.0
    spent, refused = counts.get("spent", {}), counts.get("refused", {})
    classes = sorted(set(spent) | set(refused), key=lambda name: (name != "all", name))
    print(
        "requests by class (sandbox)  "
        + " · ".join(f"{name} {spent.get(name, 0):,}" for name in classes if name in spent)
    )
    if "credits" in counts:
        print(f"credits spent (sandbox)      {counts['credits']:,}")
    print(
        "429s by limit (sandbox)      "
        + (" · ".join(f"{name} {count:,}" for name, count in refused.items()) or "none")
    )
    if first is not None and last is not None:
        print(
            f"first to last request        {last - first:.1f} s "
            f"(the first {phase:.0f} s into its minute)"
        )
    print(
        f"tickets read / changed       {tickets_read:,} / {changed.tickets:,} distinct "
        f"({changed.tagged:,} tagged, {changed.noted:,} noted, {changed.fields_only:,} fields only)"
    )
    worst = 0.0
    for need in needs(helpdesk, plan, tickets_read, changed):
        seconds = need.seconds(phase)
        worst = max(worst, seconds)
        print(
            f"  {need.limit_name:26s} {need.count:6,} at {need.per_minute}/min "
            f"({need.why}): {seconds:.0f} s"
        )
    print(f"physical floor               {worst:.1f} s")
    if worst > 0:
        print(
            f"wall / floor                 {wall / worst:.2f} incl. Prefect start-up, "
            f"{flow / worst:.2f} once started"
        )
    else:
        print("wall / floor                 n/a (everything fits in the first window)")
