"""The inbox of product error events, for proactive outreach (SPEC §4b).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

- `error_events`: each signed error event the web endpoint accepted (a Sentry webhook or
  CARE's generic event), once per (source, event id) however often it is delivered, with
  the customer it names, cleaned text, when it happened and when it arrived. `state` is
  `new` until the proactive-outreach flow handles it, then `done` with an `outcome`
  ('contacted', 'skipped:no_email', ...) and `handled_at`; `claim_token` and `claimed_at`:
  the outreach run judging it (another run takes it only once that claim is stale).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "error_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("event_id", sa.String(), nullable=False),
        sa.Column("fingerprint", sa.String(), nullable=False),
        sa.Column("customer_email", sa.String(), nullable=True),
        sa.Column("customer_id", sa.String(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("occurred_at", _time(), nullable=False),
        sa.Column("received_at", _time(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("handled_at", _time(), nullable=True),
        sa.Column("claim_token", sa.String(), nullable=True),
        sa.Column("claimed_at", _time(), nullable=True),
        sa.CheckConstraint("source IN ('sentry', 'generic')", name=op.f("ck_error_events_source")),
        sa.CheckConstraint("state IN ('new', 'done')", name=op.f("ck_error_events_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_error_events")),
        sa.UniqueConstraint("source", "event_id", name=op.f("uq_error_events_source_event_id")),
    )
    op.create_index(
        op.f("ix_error_events_state_received_at"), "error_events", ["state", "received_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_error_events_state_received_at"), table_name="error_events")
    op.drop_table("error_events")
