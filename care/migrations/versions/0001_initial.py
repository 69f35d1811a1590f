"""Initial schema: cursors, ticket snapshots, action log, survey outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Written out in full rather than importing the models: a migration must keep
creating the schema of its day after the models move on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTION_STATES = ("pending", "applying", "applied", "failed")
SURVEY_STATES = ("scheduled", "claimed", "sent", "skipped", "failed", "reopened")


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _states(values: tuple[str, ...]) -> str:
    return "state IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.create_table(
        "sync_cursors",
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        sa.Column("last_poll_started_at", _time(), nullable=True),
        sa.Column("last_poll_finished_at", _time(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("tickets_seen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("helpdesk", name="pk_sync_cursors"),
    )

    op.create_table(
        "ticket_snapshots",
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("requester_id", sa.String(), nullable=False),
        sa.Column("requester_email", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("priority", sa.String(), nullable=True),
        sa.Column("group_id", sa.String(), nullable=True),
        sa.Column("assignee_id", sa.String(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.Column("solved_at", _time(), nullable=True),
        sa.Column("last_agent_reply_at", _time(), nullable=True),
        sa.Column("waiting_since", _time(), nullable=True),
        sa.Column("group_hops", sa.Integer(), server_default="0", nullable=False),
        sa.Column("assignee_hops", sa.Integer(), server_default="0", nullable=False),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("seen_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("helpdesk", "ticket_id", name="pk_ticket_snapshots"),
    )
    op.create_index(
        "ix_ticket_snapshots_helpdesk_requester_id_created_at",
        "ticket_snapshots",
        ["helpdesk", "requester_id", "created_at"],
    )

    op.create_table(
        "action_log",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("variant", sa.String(), server_default="", nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("add_tags", _json(), nullable=False),
        sa.Column("set_priority", sa.String(), nullable=True),
        sa.Column("set_group", sa.String(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("note_public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("notify", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("survey_due_at", _time(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("claimed_at", _time(), nullable=True),
        sa.Column("applied_at", _time(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("job_id", sa.String(), nullable=True),
        sa.Column("claim_token", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_action_log"),
        sa.UniqueConstraint(
            "helpdesk",
            "ticket_id",
            "rule",
            "variant",
            name="uq_action_log_helpdesk_ticket_id_rule_variant",
        ),
        sa.CheckConstraint(_states(ACTION_STATES), name="ck_action_log_state"),
    )
    op.create_index("ix_action_log_helpdesk_state", "action_log", ["helpdesk", "state"])

    op.create_table(
        "survey_outbox",
        sa.Column("id", _id(), autoincrement=True, nullable=False),
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("requester_id", sa.String(), nullable=False),
        sa.Column("requester_email", sa.String(), nullable=True),
        sa.Column("requester_name", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("solved_at", _time(), nullable=False),
        sa.Column("due_at", _time(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claim_token", sa.String(), nullable=True),
        sa.Column("claimed_at", _time(), nullable=True),
        sa.Column("sent_at", _time(), nullable=True),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_survey_outbox"),
        sa.UniqueConstraint("helpdesk", "ticket_id", name="uq_survey_outbox_helpdesk_ticket_id"),
        sa.CheckConstraint(_states(SURVEY_STATES), name="ck_survey_outbox_state"),
    )
    op.create_index("ix_survey_outbox_state_due_at", "survey_outbox", ["state", "due_at"])
    op.create_index(
        "ix_survey_outbox_email_sent_at",
        "survey_outbox",
        [sa.text("lower(requester_email)"), "sent_at"],
    )

    op.create_table(
        "requester_accounts",
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("requester_id", sa.String(), nullable=False),
        sa.Column("created_at", _time(), nullable=True),
        sa.Column("fetched_at", _time(), nullable=False),
        sa.PrimaryKeyConstraint("helpdesk", "requester_id", name="pk_requester_accounts"),
    )


def downgrade() -> None:
    op.drop_table("requester_accounts")
    op.drop_table("survey_outbox")
    op.drop_table("action_log")
    op.drop_table("ticket_snapshots")
    op.drop_table("sync_cursors")
