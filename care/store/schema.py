"""The tables, as typed SQLAlchemy models.

The models describe the schema; `care/migrations/versions/` creates it. A test
compares the two (`alembic.autogenerate.compare_metadata`), so a column added
here without a migration fails the suite.

Timestamps are timezone-aware UTC everywhere. SQLite has no time zone type, so
`UTCDateTime` stores naive UTC there and hands back aware datetimes on read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class ActionState(StrEnum):
    PENDING = "pending"
    APPLYING = "applying"  # claimed by a worker; re-claimable once stale
    APPLIED = "applied"
    FAILED = "failed"  # gave up after max attempts
    # `dry_run` exists in reports only; it is never stored.


class SurveyState(StrEnum):
    SCHEDULED = "scheduled"
    CLAIMED = "claimed"  # a dispatcher is sending it; re-claimable once stale
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"
    REOPENED = "reopened"  # waits for the ticket to be solved again


class OutreachState(StrEnum):
    INTENDED = "intended"  # decided and recorded; the ticket may or may not exist yet
    OPENED = "opened"  # the helpdesk has the ticket: `ticket_id`


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    Naive datetimes are refused: a naive value is a bug upstream (the domain is
    aware UTC throughout) and would silently shift by the host's offset.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: the store takes aware UTC datetimes")
        value = value.astimezone(UTC)
        # SQLite compares timestamps as text: store one format, naive UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, `tags ? 'x'` in ad-hoc queries), JSON text elsewhere.
JSONList = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}


def _one_of(column: str, states: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{s.value}'" for s in states)
    return CheckConstraint(f"{column} IN ({values})", name=column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy reads it as is
        datetime: UTCDateTime(),
        str: String(),
        list[str]: JSONList,
    }


class RequesterAccount(Base):
    """When a requester's account was created, for helpdesks that do not send it with
    tickets (Freshdesk): looked up once, then read from here."""

    __tablename__ = "requester_accounts"

    helpdesk: Mapped[str] = mapped_column(primary_key=True)
    requester_id: Mapped[str] = mapped_column(primary_key=True)
    created_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime]


class SyncCursor(Base):
    """Where the incremental read of one helpdesk stands, and how the last poll went."""

    __tablename__ = "sync_cursors"

    helpdesk: Mapped[str] = mapped_column(primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
    last_poll_started_at: Mapped[datetime | None]
    last_poll_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    tickets_seen: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    last_page_saved_at: Mapped[datetime | None]  # a page with tickets, not an empty read
    caught_up_at: Mapped[datetime | None]  # a poll read to the end of the changes


class TicketSnapshot(Base):
    """The latest known state of a ticket: context for rules (repeat contacts) and reports."""

    __tablename__ = "ticket_snapshots"
    __table_args__ = (Index(None, "helpdesk", "requester_id", "created_at"),)

    helpdesk: Mapped[str] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(primary_key=True)
    requester_id: Mapped[str]
    requester_email: Mapped[str | None]
    status: Mapped[str]
    priority: Mapped[str | None]
    group_id: Mapped[str | None]
    assignee_id: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    solved_at: Mapped[datetime | None]
    last_agent_reply_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]  # start of the requester's current unanswered wait
    last_requester_message_at: Mapped[datetime | None]
    agent_replies: Mapped[int] = mapped_column(server_default=text("0"))
    first_agent_reply_at: Mapped[datetime | None]
    first_reply_group_id: Mapped[str | None]  # its group when a poll first saw it answered
    reopens: Mapped[int] = mapped_column(server_default=text("0"))
    group_hops: Mapped[int] = mapped_column(server_default=text("0"))
    assignee_hops: Mapped[int] = mapped_column(server_default=text("0"))
    tags: Mapped[list[str]]
    seen_at: Mapped[datetime]


class ActionLogEntry(Base):
    """One action a rule decided; the unique key makes applying it at-most-once."""

    __tablename__ = "action_log"
    __table_args__ = (
        UniqueConstraint("helpdesk", "ticket_id", "rule", "variant"),
        Index(None, "helpdesk", "state"),
        _one_of("state", ActionState),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    helpdesk: Mapped[str]
    ticket_id: Mapped[str]
    rule: Mapped[str]
    variant: Mapped[str] = mapped_column(server_default="")
    state: Mapped[str]
    reason: Mapped[str] = mapped_column(Text)
    add_tags: Mapped[list[str]]
    # CARE's own SLA state tags taken off (SPEC §2); never any other tag
    remove_tags: Mapped[list[str]] = mapped_column(server_default="[]")
    set_priority: Mapped[str | None]
    set_group: Mapped[str | None]
    note: Mapped[str | None] = mapped_column(Text)  # rendered, ready to post
    note_public: Mapped[bool] = mapped_column(server_default=false())
    notify: Mapped[bool] = mapped_column(server_default=false())
    survey_due_at: Mapped[datetime | None]  # set on enhance.survey actions only
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]  # when the current claim was taken (staleness)
    applied_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    job_id: Mapped[str | None]  # the helpdesk's background job carrying the change
    claim_token: Mapped[str | None]
    notified_at: Mapped[datetime | None]  # the alert for a `notify` action went out
    notify_attempts: Mapped[int] = mapped_column(server_default=text("0"))
    notify_error: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None]  # a failed write is claimed again from then on


class SurveyOutboxEntry(Base):
    """One "Did we solve it?" e-mail: at most one per ticket, whatever happens."""

    __tablename__ = "survey_outbox"
    __table_args__ = (
        UniqueConstraint("helpdesk", "ticket_id"),
        Index(None, "state", "due_at"),
        _one_of("state", SurveyState),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    helpdesk: Mapped[str]
    ticket_id: Mapped[str]
    requester_id: Mapped[str]
    requester_email: Mapped[str | None]
    requester_name: Mapped[str]
    subject: Mapped[str] = mapped_column(Text)
    solved_at: Mapped[datetime]
    due_at: Mapped[datetime]
    state: Mapped[str]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    claim_token: Mapped[str | None]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None]
    skip_reason: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    send_started_at: Mapped[datetime | None]  # committed just before the transport is called
    # Random, set when the row is created: the survey's links carry it, so a link is
    # honoured only for this survey (care/surveys/links.py). None on rows sent before
    # migration 0007, whose links are in the first token format.
    link_nonce: Mapped[str | None]


class SurveyAnswer(Base):
    """A requester's answer to a survey: the first answer sent wins; a comment may follow once.

    `answer_written_at` / `comment_written_at` stay empty until the tag and note are on
    the ticket, so a write-back that failed is retried and one that succeeded never is.
    """

    __tablename__ = "survey_answers"
    __table_args__ = (CheckConstraint("answer IN ('solved', 'unsolved')", name="answer"),)

    helpdesk: Mapped[str] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(primary_key=True)
    requester_email: Mapped[str]
    answer: Mapped[str]
    answered_at: Mapped[datetime]
    answer_written_at: Mapped[datetime | None]
    comment: Mapped[str | None] = mapped_column(Text)
    commented_at: Mapped[datetime | None]
    comment_written_at: Mapped[datetime | None]
    write_attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)


class OutreachEntry(Base):
    """One proactive contact (`assist.proactive_outreach`), recorded before the ticket is
    opened: the unique key makes it happen once, whatever reruns or a second worker do."""

    __tablename__ = "outreach"
    __table_args__ = (
        UniqueConstraint("key"),
        Index(None, "state", "claimed_at"),
        Index(None, "customer_email", "intended_at"),
        _one_of("state", OutreachState),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str]  # chains from the customer's previous contact (rules/outreach.py)
    helpdesk: Mapped[str]
    customer_email: Mapped[str]  # lower case
    fingerprint: Mapped[str]
    error_event_id: Mapped[int | None] = mapped_column(BigInteger)  # error_events.id
    state: Mapped[str]
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # rendered: the note or the public message
    public: Mapped[bool] = mapped_column(server_default=false())
    tags: Mapped[list[str]]
    facts: Mapped[str] = mapped_column(Text)
    intended_at: Mapped[datetime]
    claim_token: Mapped[str | None]
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime | None]
    ticket_id: Mapped[str | None]


class SurveyOptOut(Base):
    """An address that unsubscribed from surveys (stored in lower case)."""

    __tablename__ = "survey_opt_outs"

    email: Mapped[str] = mapped_column(primary_key=True)
    opted_out_at: Mapped[datetime]
    helpdesk: Mapped[str | None]
    ticket_id: Mapped[str | None]


class QuarantinedTicket(Base):
    """A ticket a poll set aside: it could not be mapped or stored, for `reason`. The rest
    of its page went on; it is read again when it next changes, and leaves this table once
    a version at least as new (`ticket_updated_at`) is recorded."""

    __tablename__ = "quarantined_tickets"

    helpdesk: Mapped[str] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(primary_key=True)
    stage: Mapped[str]  # "read" (mapping), "rules" or "store"
    reason: Mapped[str] = mapped_column(Text)
    ticket_updated_at: Mapped[datetime | None]  # of the version set aside, when readable
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    times_seen: Mapped[int] = mapped_column(server_default=text("1"))


class TicketWait(Base):
    """One wait the response SLA times (`care.domain.waits`): the requester wrote and no agent has
    answered since. One row per wait, however often a poll sees it; the report counts them."""

    __tablename__ = "ticket_waits"
    __table_args__ = (
        Index(None, "started_at"),
        CheckConstraint("kind IN ('first_reply', 'next_reply')", name="kind"),
    )

    helpdesk: Mapped[str] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(primary_key=True)
    kind: Mapped[str]  # care.domain.waits.WaitKind
    group_id: Mapped[str | None]  # the ticket's group when the wait was first seen
    breached_at: Mapped[datetime | None]  # the poll that first found it past its target
    ended_at: Mapped[datetime | None]  # the ticket's updated_at when first seen over
    end_group_id: Mapped[str | None]  # the ticket's group then: the group that answered


class LocalKey(Base):
    """A secret this installation generated for itself and never sends anywhere: the
    key of the refs printed in notes ("note_refs"), so text a customer typed cannot pass
    for a note CARE posted."""

    __tablename__ = "local_keys"

    name: Mapped[str] = mapped_column(primary_key=True)
    secret: Mapped[str]  # hex
    created_at: Mapped[datetime]


class ErrorEventState(StrEnum):
    NEW = "new"  # waits for the proactive-outreach flow
    DONE = "done"  # handled: `outcome` says how


class StoredErrorEventRow(Base):
    """The inbox of product error events (SPEC §4b): each (source, event id) once, however
    often Sentry or the sender retries; the proactive-outreach flow settles it with an
    outcome ('contacted', 'skipped:no_email', ...)."""

    __tablename__ = "error_events"
    __table_args__ = (
        UniqueConstraint("source", "event_id"),
        Index(None, "state", "received_at"),
        CheckConstraint("source IN ('sentry', 'generic')", name="source"),
        _one_of("state", ErrorEventState),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str]
    event_id: Mapped[str]
    fingerprint: Mapped[str]  # Sentry issue id / generic error code
    customer_email: Mapped[str | None]
    customer_id: Mapped[str | None]
    title: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None]
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime]
    state: Mapped[str]
    outcome: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None]
    claim_token: Mapped[str | None]  # the outreach run judging it
    claimed_at: Mapped[datetime | None]  # stale after `care.store.events.STALE_CLAIM`


# The per-requester cooldown looks sends up by address, case-insensitively.
Index(
    "ix_survey_outbox_email_sent_at",
    func.lower(SurveyOutboxEntry.requester_email),
    SurveyOutboxEntry.sent_at,
)

# Proactive outreach asks whether a customer has an unsolved ticket, by address.
Index(
    "ix_ticket_snapshots_requester_email",
    func.lower(TicketSnapshot.requester_email),
    TicketSnapshot.status,
)
