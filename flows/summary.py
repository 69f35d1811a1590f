"""What a poll run did, for the CLI, the demo and the Prefect artifact."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from care.domain.wording import counted, inflect, plural
from tasks.alerts import AlertResult
from tasks.poll import PageResult

MAX_QUARANTINED_SHOWN = 50

# RequestStats.snapshot() keys as an admin reads them; a key not named here is shown
# with its underscores turned into spaces.
REQUEST_COLUMNS = {
    "reads": "Reads",
    "writes": "Writes",
    "job_polls": "Job status checks",
    "rate_limited": "Rate-limited (429)",
    "rate_limit_wait_s": "Waiting on rate limits (s)",
    "retries": "Retries",
}


@dataclass
class PollSummary:
    helpdesk: str
    dry_run: bool = False
    pages: int = 0
    tickets: int = 0  # distinct tickets read (see `add`)
    skipped: int = 0  # tickets quarantined in this run
    new_actions: Counter[str] = field(default_factory=Counter)
    applied: int = 0
    failed: int = 0
    surveys_scheduled: int = 0
    requests: dict[str, float] = field(default_factory=dict)
    endpoints: dict[str, int] = field(default_factory=dict)  # "GET /api/v2/tickets": 12
    seconds: float = 0.0
    examples: list[tuple[str, str]] = field(default_factory=list)
    alerts: AlertResult = field(default_factory=AlertResult)
    ticket_reads: int = 0  # tickets read, a ticket read twice counted twice
    ticket_ids: set[str] = field(default_factory=set, repr=False)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (ticket id, reason)
    released: int = 0  # quarantined tickets read normally again

    @property
    def read(self) -> str:
        """ "300 tickets in 1 page", for the one-line summaries."""
        return f"{counted(self.tickets, 'ticket')} in {counted(self.pages, 'page')}"

    def add(self, page: PageResult, ticket_ids: Iterable[str] = ()) -> None:
        """Count a handled page; `ticket_ids` are the ids of the tickets on it.

        A ticket read twice in one run counts once in `tickets`: Freshdesk's list
        brings a ticket back once CARE's own update has moved its `updated_at`.
        """
        self.pages += page.pages
        self.ticket_reads += page.tickets
        self.ticket_ids.update(ticket_ids)
        self.tickets = len(self.ticket_ids)
        self.skipped += page.skipped
        self.quarantined += page.quarantined
        self.released += page.released
        self.new_actions.update(page.new_actions)
        self.applied += page.applied
        self.failed += page.failed
        self.surveys_scheduled += page.surveys_scheduled
        seen = {rule for rule, _ in self.examples}
        for rule, note in page.examples:
            if rule not in seen and len(self.examples) < 10:
                self.examples.append((rule, note))
                seen.add(rule)

    def add_alerts(self, result: AlertResult) -> None:
        self.alerts.add(result)

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.seconds if self.seconds else 0.0

    def markdown(self, failed: str | None = None) -> str:
        """The run's Prefect artifact; `failed` is the error of a run that stopped, whose
        figures then say how far it got."""
        mode = " (dry run: nothing written)" if self.dry_run else ""
        lines = [
            f"# poll-helpdesk · {self.helpdesk}{mode}",
            "",
            *failure_lines(failed, "Before it stopped, this run got this far:"),
            table(
                [
                    "Tickets read",
                    "Quarantined",
                    "Pages",
                    "New actions",
                    "Applied",
                    "Failed",
                    "Surveys scheduled",
                    "Seconds",
                ],
                [
                    [
                        self.tickets,
                        self.skipped,
                        self.pages,
                        sum(self.new_actions.values()),
                        self.applied,
                        self.failed,
                        self.surveys_scheduled,
                        f"{self.seconds:.1f}",
                    ]
                ],
            ),
            "",
            *self._reread_lines(),
            *self._quarantine_lines(),
            "## Actions by rule",
            "",
            table(
                ["Rule", "New actions"],
                [[f"`{rule}`", count] for rule, count in sorted(self.new_actions.items())]
                or [["(none)", 0]],
                numeric_from=1,
            ),
            "",
            *self._alert_lines(),
            *self._request_lines(),
        ]
        return "\n".join(lines)

    def _reread_lines(self) -> list[str]:
        again = self.ticket_reads - self.tickets
        if again <= 0:
            return []
        return [
            f"{counted(again, 'ticket')} came back in the list after CARE's own updates "
            "moved them and were read again; each counts once above.",
            "",
        ]

    def _quarantine_lines(self) -> list[str]:
        lines = []
        if self.released:
            lines += [
                f"{counted(self.released, 'quarantined ticket')} changed since and "
                f"{inflect(self.released, 'was', 'were')} read normally: out of quarantine.",
                "",
            ]
        if not self.quarantined:
            return lines
        shown = self.quarantined[:MAX_QUARANTINED_SHOWN]
        rows = [[escape(ticket_id), escape(reason)] for ticket_id, reason in shown]
        more = len(self.quarantined) - len(shown)
        return [
            *lines,
            "## Quarantined tickets",
            "",
            "Set aside on their own: the rest of their pages was recorded and the cursor "
            "moved on. Each is read again when it next changes in the helpdesk; "
            "`care status` lists those still waiting.",
            "",
            table(["Ticket", "Reason"], rows),
            *([f"… and {counted(more, 'more ticket')}."] if more > 0 else []),
            "",
        ]

    def _alert_lines(self) -> list[str]:
        if not self.alerts.enabled:
            return []
        a = self.alerts
        return [
            "## Alerts",
            "",
            table(
                ["Sent", "Failed (retried next poll)", "Given up"],
                [[a.sent, a.failed - a.given_up, a.given_up]],
            ),
            "",
        ]

    def _request_lines(self) -> list[str]:
        if not self.requests and not self.endpoints:
            return []  # a run that failed before it reached the helpdesk
        lines = ["## API requests", ""]
        if self.requests:
            names = [request_column(key) for key in self.requests]
            lines += [table(names, [list(self.requests.values())]), ""]
        if self.endpoints:
            # 429s and waits are counted for the run as a whole (above), not per endpoint.
            by_count = sorted(self.endpoints.items(), key=lambda item: (-item[1], item[0]))
            rows = [[f"`{endpoint}`", count] for endpoint, count in by_count]
            lines += ["### Requests by endpoint", "", table(["Endpoint", "Requests"], rows, 1)]
            lines.append("")
        return lines


def request_column(key: str) -> str:
    """A request counter's name in words: `job_polls` -> "Job status checks"."""
    return REQUEST_COLUMNS.get(key) or key.replace("_", " ").capitalize()


def table(header: list[str], rows: Iterable[list[object]], numeric_from: int = 0) -> str:
    """A Markdown table; columns from `numeric_from` on are right-aligned figures."""
    align = ["---" if i < numeric_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def failure_lines(error: str | None, progress: str) -> list[str]:
    """The head of a failed run's artifact: that it failed, why in one line, and the
    sentence introducing what it did before (`progress`); nothing for a run that ended."""
    if error is None:
        return []
    return [f"**This run failed**: {escape(error)}", "", progress, ""]


def error_line(exc: BaseException, limit: int = 500) -> str:
    """An exception as one line: "AuthError: 401 ... set CARE_ZENDESK_TOKEN"."""
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Text from elsewhere (an error, a group name) kept from adding Markdown or HTML."""
    for char in "\\|*_`[]<>#":
        text = text.replace(char, "\\" + char)
    return text


# Dispatch outcome labels (`tasks.surveys`, `care.domain.surveys`) as an admin reads
# them; the labels themselves stay short and stable because the store and tests count them.
OUTCOME_WORDS = {
    "not_yet": "not due yet: rescheduled",
    "reopened": "ticket reopened: sent once it is solved again",
    "skip:ticket_deleted": "skipped: the ticket was deleted",
    "skip:too_late": "skipped: too late to ask",
    "skip:no_email": "skipped: the requester has no e-mail address",
    "skip:opted_out": "skipped: the requester opted out",
    "skip:no_survey_tag": "skipped: the ticket is tagged not to survey",
    "skip:cooldown": "skipped: the requester had a survey recently",
}


def outcome_words(label: str) -> str:
    """A dispatch outcome in words: "skip:no_email" -> "skipped: the requester has no ..."."""
    if label in OUTCOME_WORDS:
        return OUTCOME_WORDS[label]
    if label.startswith("skip:"):  # a reason added later: still readable
        return "skipped: " + label.removeprefix("skip:").replace("_", " ")
    return label.replace("_", " ")


def interrupted_note(interrupted: int) -> str:
    """What an admin should do about sends an earlier, killed dispatcher left open."""
    if not interrupted:
        return ""
    return (
        f"{plural(interrupted, 'interrupted send')} found (a dispatcher stopped between sending "
        "and recording). Delivered ones are recorded sent; the others are recorded failed and not "
        "sent again, as they may have gone out: their last_error names the Message-ID to look "
        "for in the mail server's log."
    )
