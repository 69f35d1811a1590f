"""A secret of this installation's own, keying the refs printed in notes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

- `local_keys`: secrets CARE generates for itself and never sends anywhere. The row
  "note_refs" keys the "· ref <10 hex>" marker every CARE note ends with (an HMAC of the
  action's key), so a customer who knows how actions are named cannot type a ref that
  CARE would take, after a crash, for its own note already posted. Notes rendered before
  this revision keep their unkeyed ref, read back from their text.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    keys = op.create_table(
        "local_keys",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_local_keys")),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":  # the store keeps naive UTC there
        now = now.replace(tzinfo=None)
    op.bulk_insert(
        keys, [{"name": "note_refs", "secret": secrets.token_hex(32), "created_at": now}]
    )


def downgrade() -> None:
    op.drop_table("local_keys")
