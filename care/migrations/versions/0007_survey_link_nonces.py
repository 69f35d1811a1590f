"""A random link nonce per survey, so that a link answers only the survey it was mailed in.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

- `survey_outbox.link_nonce`: set when a survey is scheduled and carried by its
  links (care/surveys/links.py); the survey endpoint honours a link only when it
  matches a sent survey's nonce. Surveys not sent yet get one here. Surveys already
  sent keep none: their links are in the first token format, accepted until they
  expire for the surveys that have no nonce, and for no other.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_outbox") as table:
        table.add_column(sa.Column("link_nonce", sa.String(), nullable=True))
    outbox = sa.table(
        "survey_outbox",
        sa.column("id", sa.BigInteger),
        sa.column("state", sa.String),
        sa.column("link_nonce", sa.String),
    )
    conn = op.get_bind()
    ids = conn.execute(sa.select(outbox.c.id).where(outbox.c.state != "sent")).scalars().all()
    if ids:  # one random value per row: SQL has no portable strong random, so Python makes them
        stmt = (
            sa.update(outbox)
            .where(outbox.c.id == sa.bindparam("row_id"))
            .values(link_nonce=sa.bindparam("nonce"))
        )
        conn.execute(stmt, [{"row_id": id, "nonce": secrets.token_hex(16)} for id in ids])


def downgrade() -> None:
    with op.batch_alter_table("survey_outbox") as table:
        table.drop_column("link_nonce")
