"""What the report and the escalation alerts need.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

- `ticket_snapshots.first_agent_reply_at`, `.reopens`: first-response times and
  reopen rates per helpdesk and group.
- `action_log.notified_at`, `.notify_attempts`, `.notify_error`: an alert (webhook)
  for an action marked `notify` is sent once; until then the row says why not.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("ticket_snapshots") as table:
        table.add_column(sa.Column("first_agent_reply_at", _time(), nullable=True))
        table.add_column(sa.Column("reopens", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("action_log") as table:
        table.add_column(sa.Column("notified_at", _time(), nullable=True))
        table.add_column(
            sa.Column("notify_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        table.add_column(sa.Column("notify_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("action_log") as table:
        table.drop_column("notify_error")
        table.drop_column("notify_attempts")
        table.drop_column("notified_at")
    with op.batch_alter_table("ticket_snapshots") as table:
        table.drop_column("reopens")
        table.drop_column("first_agent_reply_at")
