"""Proactive outreach: one row per contact, recorded before its ticket is opened.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

- `outreach`: the intent (key unique: chained per customer, see
  care/domain/rules/outreach.py), its rendered message, and once opened the ticket id.
- `ix_ticket_snapshots_requester_email`: whether a customer has an unsolved ticket is
  asked by address, case-insensitively, for every error event.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outreach",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("customer_email", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("error_event_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("intended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claim_token", sa.String(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ticket_id", sa.String(), nullable=True),
        sa.UniqueConstraint("key", name="uq_outreach_key"),
        sa.CheckConstraint("state IN ('intended', 'opened')", name="ck_outreach_state"),
    )
    op.create_index("ix_outreach_state_claimed_at", "outreach", ["state", "claimed_at"])
    op.create_index(
        "ix_outreach_customer_email_intended_at", "outreach", ["customer_email", "intended_at"]
    )
    op.create_index(
        "ix_ticket_snapshots_requester_email",
        "ticket_snapshots",
        [sa.text("lower(requester_email)"), "status"],
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_snapshots_requester_email", table_name="ticket_snapshots")
    op.drop_table("outreach")
