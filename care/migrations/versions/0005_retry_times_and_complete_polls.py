"""When a refused write is retried, and which polls read every change.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06

- `action_log.retry_at`: a write the helpdesk refused goes back to `pending` and is
  claimed again only from this time on (a backoff), so `care status` can say when.
- `sync_cursors.last_page_saved_at`: the last time a page with tickets was saved (a
  poll that read nothing, or failed before any page, leaves it alone).
- `sync_cursors.caught_up_at`: the last time a poll read to the end of the changes:
  everything changed before it has been read, however quiet the helpdesk is since.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("action_log") as table:
        table.add_column(sa.Column("retry_at", _time(), nullable=True))
    with op.batch_alter_table("sync_cursors") as table:
        table.add_column(sa.Column("last_page_saved_at", _time(), nullable=True))
        table.add_column(sa.Column("caught_up_at", _time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_cursors") as table:
        table.drop_column("caught_up_at")
        table.drop_column("last_page_saved_at")
    with op.batch_alter_table("action_log") as table:
        table.drop_column("retry_at")
