"""What every connector offers the flows: the `Helpdesk` protocol and its values.

Nothing vendor-specific leaks through here: pages carry normalized tickets,
writes are `Change` values, and request accounting is one `RequestStats`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from care.domain.model import CountedReplies, Priority, Ticket


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record the connector could not understand: set aside (the flow quarantines it)
    with the reason, while the rest of the page goes on."""

    ticket_id: str  # "?" when even the id is missing
    reason: str
    updated_at: datetime | None = None  # the record's, when readable: a newer one retries it


@dataclass(frozen=True, slots=True)
class Account:
    """Whom the configured credential authenticates as (`Helpdesk.whoami`)."""

    id: str
    name: str
    email: str | None
    role: str | None  # the vendor's word: Zendesk "admin"/"agent", Freshdesk the agent type


@dataclass(frozen=True, slots=True)
class Page:
    tickets: list[Ticket]
    skipped: list[Skipped]
    cursor: str  # the position after this page: persist it once the page is handled
    end_of_stream: bool


@dataclass(frozen=True, slots=True)
class Change:
    """Everything to write to one ticket in one update: the rules' decisions merged.

    `base_tags` and `stamp` are the ticket as last read (its tags and `updated_at`): a
    helpdesk that replaces the whole tag list is sent `base_tags` with `add_tags` added
    and `remove_tags` taken off, on condition the ticket has not changed since `stamp`.
    None: not read in this run; the connector reads it before writing."""

    ref: int  # the caller's id for the change
    ticket_id: str
    add_tags: frozenset[str] = frozenset()
    remove_tags: frozenset[str] = frozenset()  # CARE's own SLA state tags only
    set_priority: Priority | None = None
    set_group: str | None = None
    note: str | None = None
    note_public: bool = False
    note_ref: str | None = None  # marker printed in the note, to find it again after a crash
    job_id: str | None = None  # a job submitted by an earlier, interrupted attempt
    reopen: bool = False  # set the ticket back to open (a survey answered "not solved")
    base_tags: frozenset[str] | None = None
    stamp: datetime | None = None

    @property
    def signature(self) -> tuple[frozenset[str], frozenset[str], str | None, str | None, bool]:
        return (self.add_tags, self.remove_tags, self.set_priority, self.set_group, self.reopen)

    @property
    def changes_fields(self) -> bool:
        return bool(
            self.add_tags or self.remove_tags or self.set_priority or self.set_group or self.reopen
        )

    def tags_after(self, current: Iterable[str]) -> list[str]:
        """The whole tag list once this change is made to `current`: every tag kept in
        its order (an agent's, ours), ours added at the end, our state tags taken off."""
        current = list(current)
        kept = [t for t in current if t not in self.remove_tags]
        return kept + sorted(self.add_tags - set(current) - self.remove_tags)

    def makes_a_difference(self, current: Iterable[str]) -> bool:
        """Whether the tag part of this change would alter `current`."""
        have = set(current)
        return bool(self.add_tags - have) or bool(self.remove_tags & have)


@dataclass
class ApplyReport:
    applied: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


@dataclass
class RequestStats:
    reads: int = 0  # ticket reads (export pages, single tickets, comments)
    writes: int = 0  # update calls
    job_polls: int = 0  # job status checks that follow the writes
    token_requests: int = 0  # OAuth tokens obtained (or asked for)
    rate_limited: int = 0  # 429 answers received
    rate_limit_wait_s: float = 0.0
    retries: int = 0
    by_endpoint: Counter[str] = field(default_factory=Counter)  # "GET /api/v2/tickets/{id}"

    def snapshot(self) -> dict[str, float]:
        return {
            "reads": self.reads,
            "writes": self.writes,
            "job_polls": self.job_polls,
            "rate_limited": self.rate_limited,
            "rate_limit_wait_s": round(self.rate_limit_wait_s, 3),
            "retries": self.retries,
        }


Jobs = dict[str, dict[str, list[int]]]
"""Write jobs still to settle: job id -> ticket id -> the change refs it carries."""


UNCONFIRMED_JOB = "unconfirmed"
"""Job id recorded just before a write is sent: after a crash, such a change may or may
not have reached the helpdesk, so its note is looked for before it is sent again."""


@dataclass
class Submission:
    """What `Helpdesk.submit` sent: jobs to settle later, and changes settled at once."""

    jobs: Jobs = field(default_factory=dict)
    settled: ApplyReport = field(default_factory=ApplyReport)
    resend: list[Change] = field(default_factory=list)  # internal: changes still to send


@dataclass(frozen=True, slots=True)
class NewTicket:
    """A ticket CARE opens itself (`assist.proactive_outreach`): one requester, one
    first message, found again by `key` when the answer to its creation is lost."""

    key: str  # unique; Zendesk keeps it as the ticket's external_id
    requester_email: str
    subject: str
    body: str  # the first message: a public reply, or an internal note for the agents
    public: bool
    tags: frozenset[str]
    facts: str  # what happened, in a line or two: a new ticket's description where the
    # vendor shows the description as the requester's words (Freshdesk, note mode)
    not_before: datetime  # no ticket created before this is it (when the intent was recorded)
    taken: frozenset[str] = frozenset()  # tickets recorded for the customer's other
    # contacts: never this one's, whatever they look like


class ConnectorMemory(Protocol):
    """What a connector remembers between polls and processes (the store implements it):
    requester account creation times and reply counts it had to look up."""

    def account_created(
        self, helpdesk: str, requester_ids: Iterable[str]
    ) -> dict[str, datetime | None]: ...

    def remember_accounts(
        self, helpdesk: str, created: Mapping[str, datetime | None], now: datetime
    ) -> None: ...

    def reply_counts(self, helpdesk: str, ticket_ids: Iterable[str]) -> dict[str, CountedReplies]:
        """The counts stored with the tickets' snapshots at the previous poll."""
        ...


class Helpdesk(Protocol):
    name: str
    stats: RequestStats

    def read_page(self, cursor: str | None, start: datetime) -> Page:
        """The next page of changed tickets after `cursor` (None: from `start`)."""
        ...

    def ready(self, changes: Sequence[Change], flush: bool) -> tuple[list[Change], list[Change]]:
        """Split changes into those worth sending now (full bulk calls) and those to hold
        for more of the same; with `flush`, everything is ready."""
        ...

    def submit(self, changes: Sequence[Change]) -> Submission:
        """Send the changes in as few calls as the API allows, without waiting for them."""
        ...

    def settle(self, jobs: Jobs, wait: bool) -> tuple[ApplyReport, Jobs]:
        """Results of finished jobs (all of them with `wait`), and the jobs still running."""
        ...

    def apply(self, changes: Sequence[Change]) -> ApplyReport:
        """`submit` then `settle(wait=True)`."""
        ...

    def ticket(self, ticket_id: str) -> Ticket | None:
        """The ticket as it is now (None if deleted)."""
        ...

    def tickets(self, ticket_ids: Sequence[str]) -> dict[str, Ticket | None]:
        """Several tickets as they are now, in as few requests as the API allows."""
        ...

    def whoami(self) -> Account:
        """One authenticated request that writes nothing: proves the URL and credential."""
        ...

    def create_ticket(self, new: NewTicket) -> str:
        """Open the ticket and return its id. A creation whose answer is lost is looked
        for (`find_created`) before anything is sent again; when it cannot be told,
        `OutcomeUnknown` is raised and the caller looks for it later."""
        ...

    def find_created(self, new: NewTicket) -> str | None:
        """The id of the ticket `create_ticket(new)` opened, if the helpdesk shows one."""
        ...

    def group_names(self) -> dict[str, str]:
        """Every group's name by id, for the report (a request per 100 groups)."""
        ...

    def agent_names(self) -> dict[str, str]:
        """Every agent's display name by user id (the ids tickets are assigned to), for
        the report (a request per 100 agents); agents without a name are left out."""
        ...

    def close(self) -> None: ...


def apply_and_wait(helpdesk: Helpdesk, changes: Sequence[Change]) -> ApplyReport:
    """`submit`, then `settle` until every job has finished: `Helpdesk.apply` for all."""
    submission = helpdesk.submit(changes)
    report, _ = helpdesk.settle(submission.jobs, wait=True)
    report.applied.extend(submission.settled.applied)
    report.failed.update(submission.settled.failed)
    return report


@dataclass(frozen=True)
class HelpdeskKind:
    """One helpdesk as the whole product knows it (the entries of connectors/registry.py).

    `name` is the CLI argument, the `[name]` table of care.toml and the CARE_<NAME>_*
    prefix. The sandbox is named, not imported: only `care demo` and `care sandbox`
    start one, and a connector never depends on its fake.
    """

    name: str
    title: str
    section: type[Any]  # the pydantic model of its care.toml table
    read: Callable[[Any, Any], Any]  # (section, SettingsSource) -> its config, None without a URL
    open: Callable[..., Helpdesk]  # (config, memory=, timeout=) -> a connector
    credential: str  # where its credential comes from, for `care check` and errors
    secret_keys: Mapping[str, str]  # care.toml keys that would hold its secrets -> variable
    sandbox: str  # "module:Class" of its local fake, started by `care demo`/`care sandbox`
    sandbox_settings: Callable[[Any], dict[str, str]]  # a running fake -> CARE_* pointing at it
    cursor_moment: Callable[[str], datetime | None] = lambda cursor: None  # None: opaque
    credential_warning: Callable[[Any, datetime], str | None] = lambda config, now: None
    required_role: str | None = None  # the role its polls need, if the vendor has one
    role_reason: str = ""
