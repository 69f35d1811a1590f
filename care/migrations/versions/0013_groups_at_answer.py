"""The group a ticket and a wait belonged to when they were answered, for the report.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

- `ticket_snapshots.first_reply_group_id`: the ticket's group when a poll first saw it
  answered; an escalated ticket's first response stays with the group that gave it.
- `ticket_waits.end_group_id`: the ticket's group when a poll saw the wait over.
Rows already there take the group they show now (the best known).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ticket_snapshots") as batch:
        batch.add_column(sa.Column("first_reply_group_id", sa.String(), nullable=True))
    with op.batch_alter_table("ticket_waits") as batch:
        batch.add_column(sa.Column("end_group_id", sa.String(), nullable=True))
    op.execute(
        "UPDATE ticket_snapshots SET first_reply_group_id = group_id "
        "WHERE first_agent_reply_at IS NOT NULL"
    )
    op.execute("UPDATE ticket_waits SET end_group_id = group_id WHERE ended_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("ticket_waits") as batch:
        batch.drop_column("end_group_id")
    with op.batch_alter_table("ticket_snapshots") as batch:
        batch.drop_column("first_reply_group_id")
