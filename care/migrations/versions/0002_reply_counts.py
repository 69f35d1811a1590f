"""Ticket snapshots remember the agent reply count and the last requester message.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

With both, a connector that has to count replies itself (Freshdesk lists carry no
count) counts a ticket again only when someone wrote on it, across polls and processes.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_snapshots") as table:
        table.add_column(
            sa.Column("agent_replies", sa.Integer(), server_default="0", nullable=False)
        )
        table.add_column(
            sa.Column("last_requester_message_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket_snapshots") as table:
        table.drop_column("last_requester_message_at")
        table.drop_column("agent_replies")
