"""Tickets set aside by a poll: one bad ticket never blocks the others.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

- `quarantined_tickets`: a ticket the poll could not map (a record of the wrong shape)
  or store (text the database refuses), with why. The rest of its page is stored and the
  cursor moves on; the ticket is read again when it next changes, and leaves the table
  once a version at least as new is recorded. `care status` and the poll's artifact
  list it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "quarantined_tickets",
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ticket_updated_at", _time(), nullable=True),
        sa.Column("first_seen_at", _time(), nullable=False),
        sa.Column("last_seen_at", _time(), nullable=False),
        sa.Column("times_seen", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.PrimaryKeyConstraint("helpdesk", "ticket_id", name=op.f("pk_quarantined_tickets")),
    )


def downgrade() -> None:
    op.drop_table("quarantined_tickets")
