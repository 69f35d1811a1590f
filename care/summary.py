"""What a poll run did, for the CLI, the demo and the Prefect artifact."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tasks.alerts import AlertResult
from tasks.poll import PageResult


@dataclass
class PollSummary:
    helpdesk: str
    dry_run: bool = False
    pages: int = 0
    tickets: int = 0
    skipped: int = 0
    new_actions: Counter[str] = field(default_factory=Counter)
    applied: int = 0
    failed: int = 0
    surveys_scheduled: int = 0
    requests: dict[str, float] = field(default_factory=dict)
    endpoints: dict[str, int] = field(default_factory=dict)  # "GET /api/v2/tickets": 12
    seconds: float = 0.0
    examples: list[tuple[str, str]] = field(default_factory=list)
    alerts: AlertResult = field(default_factory=AlertResult)

    @property
    def read(self) -> str:
        """"300 tickets in 1 page", for the one-line summaries."""
        return f"{counted(self.tickets, 'ticket')} in {counted(self.pages, 'page')}"

    def add(self, page: PageResult) -> None:
        self.pages += page.pages
        self.tickets += page.tickets
        self.skipped += page.skipped
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

    def markdown(self) -> str:
        mode = " (dry run: nothing written)" if self.dry_run else ""
        lines = [
            f"# poll-helpdesk · {self.helpdesk}{mode}",
            "",
            "| tickets read | skipped (malformed) | pages | new actions | applied | failed "
            "| surveys scheduled | seconds |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {self.tickets} | {self.skipped} | {self.pages} | {sum(self.new_actions.values())} "
            f"| {self.applied} | {self.failed} | {self.surveys_scheduled} | {self.seconds:.1f} |",
            "",
            "## Actions by rule",
            "",
            "| rule | new actions |",
            "|---|---:|",
            *[f"| `{rule}` | {count} |" for rule, count in sorted(self.new_actions.items())],
            "",
            *self._alert_lines(),
            "## API requests",
            "",
            "| " + " | ".join(self.requests) + " |",
            "|" + "---:|" * len(self.requests),
            "| " + " | ".join(str(v) for v in self.requests.values()) + " |",
        ]
        return "\n".join(lines)

    def _alert_lines(self) -> list[str]:
        if not self.alerts.enabled:
            return []
        a = self.alerts
        return [
            "## Alerts",
            "",
            "| sent | failed (retried next poll) | given up |",
            "|---:|---:|---:|",
            f"| {a.sent} | {a.failed - a.given_up} | {a.given_up} |",
            "",
        ]


def counted(n: float, noun: str) -> str:
    """"1 page", "2 pages", "1,000 tickets"."""
    return f"{n:,.0f} {noun}" + ("" if n == 1 else "s")
