"""The SLA's tags are state: an action may remove CARE's own SLA tags.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

- `action_log.remove_tags`: tags the action takes off the ticket. Only the response SLA's
  own state tags (`care_sla_warning`, `care_sla_breached`) are ever removed: when a wait
  moves from warning to breached, or ends (SPEC §2). Rows before this revision removed
  nothing (an empty list).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("action_log") as batch:
        batch.add_column(
            sa.Column(
                "remove_tags",
                sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql"),
                nullable=False,
                server_default="[]",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("action_log") as batch:
        batch.drop_column("remove_tags")
