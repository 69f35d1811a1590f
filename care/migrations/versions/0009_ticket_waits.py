"""The waits the response SLA times, one row each, for the report.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

- `ticket_waits`: one row per (helpdesk, ticket, start) of a wait for a first or a next
  agent reply (`care.domain.waits`), with the ticket's group when it was first seen, when a
  poll first found it past its target (`breached_at`) and when it was seen over
  (`ended_at`). The report counts waits and breached waits from it, instead of tickets
  with a breach in the action log. Waits before this revision are not back-filled.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ticket_waits",
        sa.Column("helpdesk", sa.String(), nullable=False),
        sa.Column("ticket_id", sa.String(), nullable=False),
        sa.Column("started_at", _time(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("group_id", sa.String(), nullable=True),
        sa.Column("breached_at", _time(), nullable=True),
        sa.Column("ended_at", _time(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('first_reply', 'next_reply')", name=op.f("ck_ticket_waits_kind")
        ),
        sa.PrimaryKeyConstraint(
            "helpdesk", "ticket_id", "started_at", name=op.f("pk_ticket_waits")
        ),
    )
    op.create_index(op.f("ix_ticket_waits_started_at"), "ticket_waits", ["started_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_waits_started_at"), table_name="ticket_waits")
    op.drop_table("ticket_waits")
